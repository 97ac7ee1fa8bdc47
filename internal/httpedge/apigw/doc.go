// Package apigw is the one conversion between API Gateway REST API proxy
// events (aws-lambda-go's events.APIGatewayProxyRequest and
// APIGatewayProxyResponse) and httpedge's Request and Response. The
// Lambda functions behind API Gateway (predict, approval, dashboard) start
// their httpedge.Handler through New; no handler package sees an AWS type.
package apigw

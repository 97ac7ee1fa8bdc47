// Package apigw adapts the prediction service to API Gateway REST API proxy
// events (aws-lambda-go's events.APIGatewayProxyRequest), the shape both
// functions/predict on Lambda and the local gateway of `steward serve` speak.
// It keeps package serving free of any AWS type.
package apigw

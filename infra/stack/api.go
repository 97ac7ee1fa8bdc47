package stack

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigateway"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/jsii-runtime-go"
)

// Public routes (approval links, the dashboard's sign-in) are throttled per
// stage so that nobody can run up the bill through them; /v1 is throttled
// per API key by the usage plan instead.
const (
	publicRateLimit  = 20
	publicBurstLimit = 40
)

// api makes the REST API without its routes. It exists before the
// functions because their STEWARD_PUBLIC_URL names it; the routes come
// after them.
func (s *Stack) api() {
	accessLogs := s.logGroup("ApiAccessLogs", "/aws/apigateway/"+s.Config.Prefix()+"-access")
	s.accessLogs = accessLogs
	public := &awsapigateway.MethodDeploymentOptions{
		ThrottlingRateLimit:  jsii.Number(publicRateLimit),
		ThrottlingBurstLimit: jsii.Number(publicBurstLimit),
	}
	s.API = awsapigateway.NewRestApi(s.Stack, jsii.String("Api"), &awsapigateway.RestApiProps{
		RestApiName:    jsii.String(s.Config.Prefix()),
		Description:    jsii.String("Steward predictions, approval links and dashboard"),
		EndpointTypes:  &[]awsapigateway.EndpointType{awsapigateway.EndpointType_REGIONAL},
		CloudWatchRole: jsii.Bool(false),
		DeployOptions: &awsapigateway.StageOptions{
			StageName:            jsii.String(s.Config.Stage),
			AccessLogDestination: awsapigateway.NewLogGroupLogDestination(accessLogs),
			AccessLogFormat: awsapigateway.AccessLogFormat_JsonWithStandardFields(&awsapigateway.JsonWithStandardFieldProps{
				Caller: jsii.Bool(false), HttpMethod: jsii.Bool(true), Ip: jsii.Bool(true),
				Protocol: jsii.Bool(true), RequestTime: jsii.Bool(true), ResourcePath: jsii.Bool(true),
				ResponseLength: jsii.Bool(true), Status: jsii.Bool(true), User: jsii.Bool(false),
			}),
			TracingEnabled: jsii.Bool(s.Config.Tracing),
			MethodOptions: &map[string]*awsapigateway.MethodDeploymentOptions{
				"/approvals/{proxy+}/*": public,
				"/{proxy+}/*":           public,
			},
		},
	})
}

// method is an API method and why it has no API Gateway authorizer.
type method struct {
	method awsapigateway.Method
	why    string
}

// publicURL is the API's base URL, ending in "/". It is built from the API
// id and the stage name rather than from the deployed stage, which depends
// on every method and so on the functions whose environment holds the URL.
func (s *Stack) publicURL() *string {
	return awscdk.Fn_Join(jsii.String(""), &[]*string{
		jsii.String("https://"), s.API.RestApiId(),
		jsii.String(".execute-api."), s.Stack.Region(), jsii.String("."), s.Stack.UrlSuffix(),
		jsii.String("/" + s.Config.Stage + "/"),
	})
}

// routes wires the API to the functions:
//
//	ANY  /v1/{proxy+}        predict (live alias), API key required
//	GET  /health             predict (live alias), open
//	GET, POST /approvals/{proxy+}  approval, open: the HMAC-signed link is the credential
//	GET  /                   dashboard, its own session sign-in
//	GET, POST /{proxy+}      dashboard
func (s *Stack) routes() {
	integrate := func(fn awslambda.IFunction) awsapigateway.LambdaIntegration {
		return awsapigateway.NewLambdaIntegration(fn, &awsapigateway.LambdaIntegrationOptions{
			AllowTestInvoke: jsii.Bool(false),
		})
	}
	predict := integrate(s.PredictLive)
	approval := integrate(s.Functions["approval"])
	dashboard := integrate(s.Functions["dashboard"])
	withKey := &awsapigateway.MethodOptions{ApiKeyRequired: jsii.Bool(true)}
	open := &awsapigateway.MethodOptions{AuthorizationType: awsapigateway.AuthorizationType_NONE}

	// Each method carries the reason it has no API Gateway authorizer; the
	// reasons become cdk-nag suppressions.
	add := func(res awsapigateway.IResource, verb string, in awsapigateway.LambdaIntegration, opts *awsapigateway.MethodOptions, why string) {
		s.methods = append(s.methods, method{res.AddMethod(jsii.String(verb), in, opts), why})
	}
	root := s.API.Root()
	add(root.AddResource(jsii.String("v1"), nil).AddResource(jsii.String("{proxy+}"), nil), "ANY", predict, withKey,
		"/v1 requires an API key (ApiKeyRequired) metered by a usage plan with throttling and a quota: "+
			"API keys are the documented credential of prediction clients.")
	add(root.AddResource(jsii.String("health"), nil), "GET", predict, open,
		"the health check returns no data, so that uptime probes need no key.")
	approvals := root.AddResource(jsii.String("approvals"), nil).AddResource(jsii.String("{proxy+}"), nil)
	const signed = "approvers open these links from email and have no AWS identity; the HMAC signature over " +
		"approval id, approver and expiry, checked by the handler, is the credential, and GET never changes state."
	add(approvals, "GET", approval, open, signed)
	add(approvals, "POST", approval, open, signed)
	const session = "the dashboard signs operators in itself (hashed credentials, signed HttpOnly Secure SameSite " +
		"session cookies, a CSRF token on every POST) and redirects anonymous requests to its sign-in page."
	add(root, "GET", dashboard, open, session)
	pages := root.AddResource(jsii.String("{proxy+}"), nil)
	add(pages, "GET", dashboard, open, session)
	add(pages, "POST", dashboard, open, session)

	plan := s.API.AddUsagePlan(jsii.String("UsagePlan"), &awsapigateway.UsagePlanProps{
		Name:        s.name("predict"),
		Description: jsii.String("Per-key throttling and monthly quota of the prediction API"),
		Throttle: &awsapigateway.ThrottleSettings{
			RateLimit:  jsii.Number(s.Config.APIRateLimit),
			BurstLimit: jsii.Number(s.Config.APIBurstLimit),
		},
		Quota: &awsapigateway.QuotaSettings{
			Limit:  jsii.Number(s.Config.APIQuotaPerMonth),
			Period: awsapigateway.Period_MONTH,
		},
		ApiStages: &[]*awsapigateway.UsagePlanPerApiStage{{Api: s.API, Stage: s.API.DeploymentStage()}},
	})
	s.APIKey = s.API.AddApiKey(jsii.String("DefaultKey"), &awsapigateway.ApiKeyOptions{
		ApiKeyName:  s.name("default"),
		Description: jsii.String("First prediction API key; add more with aws apigateway create-api-key and create-usage-plan-key"),
	})
	plan.AddApiKey(s.APIKey, nil)
	// A missing or wrong key is refused with a message naming the header,
	// as steward serve's gateway refuses it.
	s.API.AddGatewayResponse(jsii.String("InvalidApiKey"), &awsapigateway.GatewayResponseOptions{
		Type:       awsapigateway.ResponseType_INVALID_API_KEY(),
		StatusCode: jsii.String("403"),
		Templates:  &map[string]*string{"application/json": jsii.String(`{"message":"` + ForbiddenMessage + `"}`)},
	})
}

// ForbiddenMessage is the message of the 403 that refuses a missing or
// wrong API key.
const ForbiddenMessage = "Forbidden: send a valid API key in the x-api-key header"

package stack

import (
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"
)

// Suppression is one accepted cdk-nag finding and why it is acceptable.
// AppliesTo narrows a granular rule (IAM5) to the listed findings.
// AppliesToRegex does the same with regular expressions ("/^...$/"), for
// findings whose text depends on the CDK bootstrap (the asset bucket).
type Suppression struct {
	ID             string
	Reason         string
	AppliesTo      []string
	AppliesToRegex []string
}

func suppress(c constructs.IConstruct, children bool, sups ...Suppression) {
	out := make([]*cdknag.NagPackSuppression, len(sups))
	for i, s := range sups {
		out[i] = &cdknag.NagPackSuppression{Id: jsii.String(s.ID), Reason: jsii.String(s.Reason)}
		if len(s.AppliesTo)+len(s.AppliesToRegex) > 0 {
			applies := make([]any, 0, len(s.AppliesTo)+len(s.AppliesToRegex))
			for _, a := range s.AppliesTo {
				applies = append(applies, a)
			}
			for _, r := range s.AppliesToRegex {
				applies = append(applies, &cdknag.RegexAppliesTo{Regex: jsii.String(r)})
			}
			out[i].AppliesTo = &applies
		}
	}
	cdknag.NagSuppressions_AddResourceSuppressions(c, &out, jsii.Bool(children))
}

const (
	reasonBucketGrant = "Only s3:GetObject and s3:PutObject (and s3:ListBucket on the bucket itself), the calls the artifact store makes; " +
		"the resource wildcard is the objects of Steward's own artifact bucket under the prefixes the function reads or writes, " +
		"whose keys (bundles/sha256/<digest>, captures/<model>/dt=.../, reports/...) are data, not known at deploy time."
	reasonXRay = "X-Ray's PutTraceSegments and PutTelemetryRecords and CloudWatch Logs' log-delivery actions " +
		"(CreateLogDelivery, DescribeResourcePolicies, ...) support no resource-level permissions: IAM accepts only \"*\" for them."
)

// suppressions records, next to the resources they concern, the cdk-nag
// AwsSolutions findings Steward accepts, each with its reason. Everything
// else is fixed in the constructs themselves.
func (s *Stack) suppressions() {
	bucketArn := "Resource::<" + *s.Stack.GetLogicalId(s.Bucket.Node().DefaultChild().(awss3.CfnBucket)) + ".Arn>/"
	for _, spec := range Functions {
		if !spec.Access.Reads() && !spec.Access.Writes() {
			if s.Config.Tracing {
				suppress(s.Functions[spec.Name].Role(), true, Suppression{ID: "AwsSolutions-IAM5", Reason: reasonXRay, AppliesTo: []string{"Resource::*"}})
			}
			continue
		}
		var applies []string
		if spec.Access.Reads() {
			applies = append(applies, bucketArn+"*")
			for _, prefix := range spec.ReadPrefixes {
				applies = append(applies, bucketArn+prefix+"*")
			}
		}
		if spec.Access.Writes() {
			for _, prefix := range spec.WritePrefixes {
				applies = append(applies, bucketArn+prefix+"*")
			}
		}
		if s.Config.Tracing {
			applies = append(applies, "Resource::*")
		}
		suppress(s.Functions[spec.Name].Role(), true, Suppression{ID: "AwsSolutions-IAM5", Reason: reasonBucketGrant + " " + reasonXRay, AppliesTo: applies})
	}
	suppress(s.StateMachine.Role(), true, Suppression{ID: "AwsSolutions-IAM5", Reason: reasonXRay, AppliesTo: []string{"Resource::*"}})

	for _, secret := range []constructs.IConstruct{s.SigningKey} {
		suppress(secret, true, Suppression{ID: "AwsSolutions-SMG4", Reason: "A generated HMAC key, not a credential of another service: " +
			"there is nothing for a rotation function to rotate it with, and rotating it would invalidate every approval link " +
			"or dashboard session (whose keys derive from it) still outstanding. Rotate by hand with put-secret-value when it may have leaked."})
	}

	suppress(s.SlackWebhooks, true, Suppression{ID: "AwsSolutions-SMG4", Reason: "Slack incoming-webhook URLs are issued by Slack: " +
		"a rotation function cannot mint new ones. Revoke a leaked webhook in Slack and put the new URL with put-secret-value."})

	suppress(s.API, true,
		Suppression{ID: "AwsSolutions-APIG2", Reason: "Every handler validates its requests against the model's schema and " +
			"answers with a 4xx listing every problem (instance, field, expected); an API Gateway model could only repeat a weaker subset of that."},
		Suppression{ID: "AwsSolutions-APIG3", Reason: "WAF costs at least $5 a month plus $1 per rule before any traffic; /v1 is throttled per API key " +
			"by the usage plan and the open routes per stage. Attach a web ACL to the stage where a deployment needs one."},
		Suppression{ID: "AwsSolutions-APIG6", Reason: "Access logging is on for the stage; execution logging needs an account-wide " +
			"API Gateway CloudWatch role, an account setting this stack does not own, and would log request bodies (model inputs)."},
	)
	s.deploymentSuppressions(bucketArn)
	s.resilienceSuppressions()

	for _, m := range s.methods {
		reason := "Deliberately without an API Gateway authorizer: " + m.why
		suppress(m.method, true,
			Suppression{ID: "AwsSolutions-APIG4", Reason: reason},
			Suppression{ID: "AwsSolutions-COG4", Reason: reason})
	}
}

// deploymentSuppressions covers what runs at deploy time only: the
// provider Lambda of the project-configuration upload (CDK's
// BucketDeployment, invoked by CloudFormation alone) and the queue of
// undelivered captures.
func (s *Stack) deploymentSuppressions(bucketArn string) {
	suppress(s.projectConfigRole, true, Suppression{ID: "AwsSolutions-IAM5",
		Reason: "CDK's BucketDeployment grants its provider read on the CDK asset bucket (objects named by content hash at synth) " +
			"and read-write on the artifact bucket; an explicit Deny on the same role limits every put and delete to config/*, " +
			"where the provider syncs steward.yaml and its suite without pruning. The function runs only when CloudFormation " +
			"invokes it during a deployment.",
		AppliesTo: []string{"Action::s3:GetObject*", "Action::s3:GetBucket*", "Action::s3:List*", "Action::s3:Abort*",
			"Action::s3:DeleteObject*", bucketArn + "*"},
		AppliesToRegex: []string{`/^Resource::arn:<AWS::Partition>:s3:::cdk-[a-z0-9]+-assets-<AWS::AccountId>-<AWS::Region>\/\*$/`},
	})
	for _, c := range *s.Stack.Node().Children() {
		if strings.HasPrefix(*c.Node().Id(), "Custom::CDKBucketDeployment") {
			suppress(c, true, Suppression{ID: "AwsSolutions-L1",
				Reason: "The provider of CDK's BucketDeployment: CDK pins its Python runtime to the version its bundled AWS CLI " +
					"layer is built and tested for, and moves it with CDK releases; it runs only during deployments."})
		}
	}
	suppress(s.CaptureUndelivered, true, Suppression{ID: "AwsSolutions-SQS3",
		Reason: "This queue is itself the dead-letter destination of the capture function's asynchronous invocations " +
			"(on-failure destination); a queue behind it would only move the same parked batches, which an alarm reports."})
}

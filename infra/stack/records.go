package stack

import (
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/jsii-runtime-go"
)

// The DynamoDB actions Steward's record store makes (internal/aws/dynamodb):
// GetItem and Query to read; PutItem to write, alone or inside
// TransactWriteItems, which IAM authorizes item by item as PutItem. No
// function deletes or updates a record (only the operator's CLI removes
// API keys and dashboard operators, with the operator's own credentials).
var (
	RecordReadActions  = []string{"dynamodb:GetItem", "dynamodb:Query"}
	RecordWriteActions = []string{"dynamodb:PutItem"}
)

// AuditKeyPattern matches the partition keys of the audit log (AUDIT#ALL,
// AUDIT#MODEL#<name>): an explicit Deny on every role keeps its rows from
// being deleted or updated, whatever else a role is granted.
const AuditKeyPattern = "AUDIT#*"

// AuditDeniedActions are the actions denied on audit rows to every role.
var AuditDeniedActions = []string{"dynamodb:DeleteItem", "dynamodb:UpdateItem", "dynamodb:BatchWriteItem", "dynamodb:PartiQLDelete", "dynamodb:PartiQLUpdate"}

// RecordKeys limits the partitions a function reads and writes, as
// dynamodb:LeadingKeys patterns ("MODEL#*", "MODELS"). A nil list leaves
// that access unconditioned on the table.
type RecordKeys struct {
	Read, Write []string
}

// grantRecords gives role the record actions spec.Access asks for, each
// limited to spec.Records' partitions when it names them, and denies
// deleting or updating audit rows.
func (s *Stack) grantRecords(role awsiam.IRole, spec Function) {
	if !spec.Access.Has(ReadRecords) && !spec.Access.Has(WriteRecords) {
		return
	}
	table := []*string{s.Table.TableArn()}
	statement := func(actions, keys []string) awsiam.PolicyStatement {
		st := awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{Actions: jsii.Strings(actions...), Resources: &table})
		if keys != nil {
			st.AddCondition(jsii.String("ForAllValues:StringLike"), map[string]any{"dynamodb:LeadingKeys": keys})
		}
		return st
	}
	role.AddToPrincipalPolicy(statement(RecordReadActions, spec.Records.Read))
	if spec.Access.Has(WriteRecords) {
		role.AddToPrincipalPolicy(statement(RecordWriteActions, spec.Records.Write))
	}
	deny := awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Effect: awsiam.Effect_DENY, Actions: jsii.Strings(AuditDeniedActions...), Resources: &table,
	})
	deny.AddCondition(jsii.String("ForAnyValue:StringLike"), map[string]any{"dynamodb:LeadingKeys": []string{AuditKeyPattern}})
	role.AddToPrincipalPolicy(deny)
}

// The S3 actions Steward's artifact store makes (internal/aws/s3):
// GetObject (and HeadObject, which S3 authorizes as GetObject),
// ListObjectsV2 (s3:ListBucket) and PutObject.
const (
	ArtifactGetAction  = "s3:GetObject"
	ArtifactListAction = "s3:ListBucket"
	ArtifactPutAction  = "s3:PutObject"
)

// grantArtifacts gives role what spec.Access asks of the artifact bucket:
// reads of its objects (under ReadPrefixes when set, without listing) and
// puts under WritePrefixes; never a delete, an ACL, a tag or a retention.
func (s *Stack) grantArtifacts(role awsiam.IRole, spec Function) {
	bucket := *s.Bucket.BucketArn()
	if spec.Access.Reads() {
		objects := []string{bucket + "/*"}
		if spec.ReadPrefixes != nil {
			objects = nil
			for _, p := range spec.ReadPrefixes {
				objects = append(objects, bucket+"/"+p+"*")
			}
		}
		role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Actions: jsii.Strings(ArtifactGetAction), Resources: jsii.Strings(objects...),
		}))
		if spec.ReadPrefixes == nil {
			role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
				Actions: jsii.Strings(ArtifactListAction), Resources: jsii.Strings(bucket),
			}))
		}
	}
	if spec.Access.Writes() {
		var objects []string
		for _, p := range spec.WritePrefixes {
			objects = append(objects, bucket+"/"+p+"*")
		}
		role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Actions: jsii.Strings(ArtifactPutAction), Resources: jsii.Strings(objects...),
		}))
	}
}

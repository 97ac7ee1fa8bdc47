package stack

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"
)

// grantsOf returns, for one role, every allowed action with the
// resources and conditions of the statements that allow it, and the
// denied actions likewise.
func grantsOf(d *deployed, roleID string) (allow, deny map[string][]map[string]any) {
	allow, deny = map[string][]map[string]any{}, map[string][]map[string]any{}
	for _, p := range d.resources("AWS::IAM::Policy") {
		if !jsonEqual(props(p)["Roles"], []any{ref(roleID)}) {
			continue
		}
		for _, x := range props(p)["PolicyDocument"].(map[string]any)["Statement"].([]any) {
			st := x.(map[string]any)
			into := allow
			if st["Effect"] == "Deny" {
				into = deny
			}
			for _, a := range asList(st["Action"]) {
				into[a.(string)] = append(into[a.(string)], st)
			}
		}
	}
	return allow, deny
}

// leadingKeys returns a statement's dynamodb:LeadingKeys patterns, or nil.
func leadingKeys(st map[string]any, operator string) []string {
	cond, _ := st["Condition"].(map[string]any)
	op, _ := cond[operator].(map[string]any)
	var out []string
	for _, k := range asList(op["dynamodb:LeadingKeys"]) {
		if s, ok := k.(string); ok {
			out = append(out, s)
		}
	}
	sort.Strings(out)
	return out
}

// objectPrefixes returns the key patterns of the artifact bucket's
// objects a statement names ("bundles/*"), "<bucket>" for the bucket.
func objectPrefixes(d *deployed, st map[string]any) []string {
	bucket := d.logicalID(d.stack.Bucket)
	var out []string
	for _, r := range asList(st["Resource"]) {
		if jsonEqual(r, getAtt(bucket, "Arn")) {
			out = append(out, "<bucket>")
			continue
		}
		join, _ := r.(map[string]any)["Fn::Join"].([]any)
		if len(join) == 2 {
			parts := join[1].([]any)
			if len(parts) == 2 && jsonEqual(parts[0], getAtt(bucket, "Arn")) {
				out = append(out, strings.TrimPrefix(parts[1].(string), "/"))
				continue
			}
		}
		out = append(out, fmt.Sprint(r))
	}
	sort.Strings(out)
	return out
}

// expectedActions derives what a function may do from its entry in
// Functions: the calls its adapters make for each Access bit, and nothing
// else.
func expectedActions(d *deployed, f Function) []string {
	want := []string{"logs:CreateLogStream", "logs:PutLogEvents"}
	if d.stack.Config.Tracing {
		want = append(want, "xray:PutTraceSegments", "xray:PutTelemetryRecords")
	}
	if f.Access.Reads() {
		want = append(want, ArtifactGetAction)
		if f.ReadPrefixes == nil {
			want = append(want, ArtifactListAction)
		}
	}
	if f.Access.Writes() {
		want = append(want, ArtifactPutAction)
	}
	if f.Access.Has(ReadRecords) || f.Access.Has(WriteRecords) {
		want = append(want, RecordReadActions...)
	}
	if f.Access.Has(WriteRecords) {
		want = append(want, RecordWriteActions...)
	}
	if f.Access.Has(ReadSigningKey) || f.Access.Has(SendEmail) {
		want = append(want, "secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret")
	}
	if f.Access.Has(SendEmail) {
		want = append(want, "ses:SendEmail")
	}
	if f.Access.Has(PublishEvents) {
		want = append(want, "events:PutEvents")
	}
	if f.Access.Has(StartRetrain) {
		want = append(want, "states:StartExecution")
	}
	if f.Access.Has(AnswerTasks) {
		want = append(want, "states:SendTaskSuccess", "states:SendTaskFailure", "states:SendTaskHeartbeat")
	}
	if f.Access.Has(ScaleServing) {
		want = append(want, "lambda:GetProvisionedConcurrencyConfig", "lambda:PutProvisionedConcurrencyConfig")
	}
	if f.Name == "capture" || slices.Contains(AsyncFunctions, f.Name) {
		// Lambda's on-failure destination sends with the function's role.
		want = append(want, "sqs:SendMessage", "sqs:GetQueueAttributes", "sqs:GetQueueUrl")
	}
	sort.Strings(want)
	return slices.Compact(want)
}

// Each function's role allows exactly the actions its adapters call for
// what Functions gives it, record access within the partitions it names,
// artifact reads and writes within its prefixes; and every role with
// table access is denied deleting or updating audit rows. A grant that
// gains an action, a partition or a prefix fails here.
func TestEachFunctionHoldsOnlyWhatItUses(t *testing.T) {
	s := synth(t)
	for _, d := range []*deployed{s.dev, s.prod} {
		stage := d.stack.Config.Stage
		for _, f := range Functions {
			allow, deny := grantsOf(d, d.logicalID(d.stack.Functions[f.Name].Role()))
			var got []string
			for a := range allow {
				got = append(got, a)
			}
			sort.Strings(got)
			if want := expectedActions(d, f); !slices.Equal(got, want) {
				t.Errorf("%s %s may\n %v\nwant\n %v", stage, f.Name, got, want)
			}
			for _, a := range RecordReadActions {
				for _, st := range allow[a] {
					if got, want := leadingKeys(st, "ForAllValues:StringLike"), sorted(f.Records.Read); !slices.Equal(got, want) {
						t.Errorf("%s %s %s on partitions %v, want %v", stage, f.Name, a, got, want)
					}
				}
			}
			for _, a := range RecordWriteActions {
				for _, st := range allow[a] {
					if got, want := leadingKeys(st, "ForAllValues:StringLike"), sorted(f.Records.Write); !slices.Equal(got, want) {
						t.Errorf("%s %s %s on partitions %v, want %v", stage, f.Name, a, got, want)
					}
				}
			}
			var reads []string
			for _, st := range allow[ArtifactGetAction] {
				reads = append(reads, objectPrefixes(d, st)...)
			}
			wantReads := []string{"*"}
			if f.ReadPrefixes != nil {
				wantReads = nil
				for _, p := range f.ReadPrefixes {
					wantReads = append(wantReads, p+"*")
				}
			}
			if !f.Access.Reads() {
				wantReads = nil
			}
			if sort.Strings(reads); !slices.Equal(reads, sorted(wantReads)) {
				t.Errorf("%s %s reads artifacts %v, want %v", stage, f.Name, reads, sorted(wantReads))
			}
			var puts []string
			for _, st := range allow[ArtifactPutAction] {
				puts = append(puts, objectPrefixes(d, st)...)
			}
			var wantPuts []string
			for _, p := range f.WritePrefixes {
				wantPuts = append(wantPuts, p+"*")
			}
			if sort.Strings(puts); !slices.Equal(puts, sorted(wantPuts)) {
				t.Errorf("%s %s puts artifacts under %v, want %v", stage, f.Name, puts, sorted(wantPuts))
			}
			if f.Access.Has(ReadRecords) || f.Access.Has(WriteRecords) {
				for _, a := range AuditDeniedActions {
					sts := deny[a]
					if len(sts) != 1 || !slices.Equal(leadingKeys(sts[0], "ForAnyValue:StringLike"), []string{AuditKeyPattern}) {
						t.Errorf("%s %s: %s on audit rows is not denied: %v", stage, f.Name, a, sts)
					}
				}
			}
		}
	}
}

// The internet-facing predict function reads only its configuration and
// model bundles, the registry, and writes only feedback.
func TestPredictReadsBundlesAndConfigOnly(t *testing.T) {
	var predict Function
	for _, f := range Functions {
		if f.Name == "predict" {
			predict = f
		}
	}
	if !slices.Equal(sorted(predict.ReadPrefixes), []string{"bundles/", "config/"}) {
		t.Errorf("predict reads %v, want bundles/ and config/", predict.ReadPrefixes)
	}
	if !slices.Equal(sorted(predict.Records.Write), []string{"FEEDBACK#*"}) || predict.Records.Read == nil {
		t.Errorf("predict records %+v, want reads of the registry and writes of feedback only", predict.Records)
	}
}

func sorted(l []string) []string {
	out := slices.Clone(l)
	sort.Strings(out)
	return out
}

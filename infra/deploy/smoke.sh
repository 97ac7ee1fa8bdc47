#!/usr/bin/env bash
# Smoke test of a deployed stack: one prediction through the API with the
# stack's API key, feedback for that prediction, and one drift check run
# by invoking the drift function as its schedule does. Exits non-zero on
# the first failure. Needs AWS credentials that may read the stack's
# outputs and API key and invoke the drift function.
#
# usage: infra/deploy/smoke.sh STAGE
set -euo pipefail
stage=${1:?usage: smoke.sh STAGE}
stack=Steward-$stage

output() {
	aws cloudformation describe-stacks --stack-name "$stack" \
		--query "Stacks[0].Outputs[?OutputKey=='$1'].OutputValue" --output text
}
url=$(output ApiUrl)
key=$(aws apigateway get-api-key --include-value --api-key "$(output ApiKeyId)" --query value --output text)

predict=$(curl -sS --fail-with-body --retry 3 "${url%/}/v1/models/heart/predict" \
	-H "x-api-key: $key" -H 'content-type: application/json' \
	-d '{"instances":[{"age":59,"sex":0,"cp":1,"trestbps":150,"chol":350,"fbs":0,"restecg":0,"thalach":140,"exang":0,"oldpeak":4,"slope":1,"ca":0,"thal":3}]}')
id=$(node -e 'const r = JSON.parse(process.argv[1]); if (!r.predictions || !r.predictions[0].id) process.exit(1); console.log(r.predictions[0].id)' "$predict")
echo "predict: $predict"

curl -sS --fail-with-body "${url%/}/v1/feedback" \
	-H "x-api-key: $key" -H 'content-type: application/json' \
	-d "{\"id\":\"$id\",\"label\":1}"
echo
echo "feedback: recorded for $id"

out=$(mktemp)
aws lambda invoke --function-name "steward-$stage-drift" --cli-binary-format raw-in-base64-out \
	--payload "{\"version\":\"0\",\"id\":\"smoke-$(date +%s)\",\"detail-type\":\"Scheduled Event\",\"source\":\"aws.events\",\"time\":\"$(date -u +%Y-%m-%dT%H:%M:%SZ)\",\"detail\":{}}" "$out" \
	--query FunctionError --output text | grep -qx None || { echo "drift check failed:"; cat "$out"; exit 1; }
echo "drift: $(cat "$out")"

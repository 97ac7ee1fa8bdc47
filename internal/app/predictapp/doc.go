// Package predictapp wires the prediction service: the stores, the model
// registry and package serving, nothing else. internal/app uses it for
// `steward serve`; functions/predict uses New directly, so the Lambda
// bootstrap links (and initialises at cold start) only the S3 and DynamoDB
// clients and the local stores, not the workflow, mail or event-bus
// adapters of the whole application. Its size and cold start depend on it.
package predictapp

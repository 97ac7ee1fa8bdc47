// Package agent is Steward's agent: it receives alerts, diagnoses,
// decides by a policy kept as data, acts, and records why — one audit
// event per decision linking trigger → diagnosis → rule → action →
// outcome, so that "why did the model change on Tuesday?" is one query.
//
// # Triggers
//
// ParseEvent reads the events the agent is subscribed to (EventBridge
// rules on AWS, the in-process bus locally): DriftChecked from the
// scheduled drift check (its detail is a monitor.Summary, which carries
// realised performance from feedback labels), CloudWatch alarm state
// changes (prediction errors, latency, throttles, failed retrainings;
// locally the same events come from the metrics registry, see package
// alarms) and ValidationFailed. `steward agent diagnose` makes a manual trigger. Each
// trigger has an ID that is the same for the same alert delivered twice.
//
// # Diagnosis
//
// Diagnose gathers the evidence: the champion, its age and last move, the
// drift check (the trigger's or the newest), the features that moved and
// by how much, prediction drift, realised performance with its intervals
// against the training metrics, the previous champion's performance, the
// provisioned concurrency, and the agent's actions in flight, recent or
// failed. The diagnosis is stored as JSON under reports/agent/{model}/.
//
// # Decision
//
// Decide is a pure function of the Policy, the Diagnosis and the time. The
// default policy is the design's severity tree on the drift score, lower
// bounds inclusive, upper bounds exclusive, 1 in the last band:
//
//	score < 0.5          log-only          log only
//	0.5 <= score < 0.7   retrain-auto      retrain; a better candidate is promoted
//	0.7 <= score < 0.9   retrain-approval  retrain; promotion waits for approval
//	0.9 <= score <= 1    escalate          escalate now and retrain with approval
//
// Beyond the tree, in this order: an alarm or a failed validation has its
// own rule (errors or latency soon after a promotion roll back, sustained
// throttling raises provisioned concurrency within bounds — recorded as not
// applicable where there is no Scaler, i.e. locally —, anything else is
// notified); a clear drop of a realised metric (its whole interval below
// the training value, by at least rollback.drop) within rollback.window of
// a promotion rolls champion back (with approval: asks instead);
// insufficient_data only logs; a band that only logs gives way to realised
// performance decay when performance.retrain is set. A retraining in
// flight, or started within the cooldown, is not started again (the
// decision is recorded as suppressed). A decision that only logs retries
// the newest failed action.
//
// # Action
//
// Every action has an id derived from the decision (the alert and the
// rule; for a rollback, the promotion it undoes). An action record in the
// record store (partition AGENT#{model}) is claimed by compare-and-set
// before acting, so the same alert acts once however often it is
// delivered; a failed action is recorded as failed, with its error, and is
// taken again (one more attempt) by the next trigger — never dropped. After
// policy.escalateAfter failed attempts each further failure is escalated.
// Retrainings start through the Retrainer (Step Functions or the local
// runner) under an execution name made of the action id, so that a start
// repeated after a crash (the action still "started" after staleAfter)
// finds the execution the first one made instead of starting another;
// rollbacks go through release (compare-and-set, audited), provisioned
// concurrency through the Scaler (Lambda, within the policy's bounds),
// notifications and escalations through notify.
//
// # Record
//
// Handle appends one audit event per decision (action agent.decision,
// actor agent) whose Details are the Entry, whose correlation id is the
// trigger's id, whose subject names the execution started, and whose
// evidence lists the diagnosis and the drift report. The workflow's own
// events carry the execution id as their correlation id; ReadLog joins
// them, so `steward agent log` reads "drift score 0.62 on 8 of 13 features
// (thal, ca, …) → rule `retrain-auto` → execution … started → version 4
// promoted".
package agent

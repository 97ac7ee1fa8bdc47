#!/usr/bin/env bash
# Writes the deployment's configuration into cdk.context.json, which the
# CDK CLI reads before cdk.json: the stage given, and the addresses from
# APPROVERS, ESCALATION and SENDER when set (unset ones keep cdk.json's).
#
# usage: infra/deploy/context.sh STAGE
set -euo pipefail
STAGE=${1:?usage: context.sh STAGE} node -e '
  const fs = require("fs");
  const e = process.env;
  const file = "cdk.context.json";
  const ctx = fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, "utf8")) : {};
  const set = { stage: e.STAGE, approverEmails: e.APPROVERS, escalationEmails: e.ESCALATION, senderIdentity: e.SENDER };
  for (const [k, v] of Object.entries(set)) if (v) ctx[k] = v;
  fs.writeFileSync(file, JSON.stringify(ctx, null, 2) + "\n");
'

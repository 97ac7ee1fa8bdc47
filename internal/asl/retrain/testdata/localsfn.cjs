// Runs statemachines/retrain.asl.json under aws-local-stepfunctions, an
// independent implementation of the Amazon States Language, with every
// Lambda task answered from a scenario file, and prints one JSON document:
// the execution's status, output or error, the top-level states entered in
// order, and the payload of every call per function.
//
// usage: node localsfn.cjs DEFINITION SCENARIO
//
// A scenario is {"input": {...}, "answers": {function: [answer, ...]}}: each
// call of a function takes the next answer (the last one repeats), and an
// answer is {"payload": value}, {"error": name, "cause": text} or
// {"hang": true} (never answers, as an approval nobody gives).
'use strict';

// aws-local-stepfunctions 3 calls Promise.withResolvers, which Node 22 has
// and Node 20 lacks; this is the standard definition.
if (typeof Promise.withResolvers !== 'function') {
  Promise.withResolvers = function withResolvers() {
    let resolve;
    let reject;
    const promise = new Promise((res, rej) => {
      resolve = res;
      reject = rej;
    });
    return { promise, resolve, reject };
  };
}

const fs = require('fs');
const { StateMachine } = require('aws-local-stepfunctions');

const [definitionFile, scenarioFile] = process.argv.slice(2);
const definition = JSON.parse(fs.readFileSync(definitionFile, 'utf8'));
const scenario = JSON.parse(fs.readFileSync(scenarioFile, 'utf8'));

// Each task state names its function by the ${...FunctionArn} placeholder
// (left unsubstituted here): TrainFunctionArn is "train".
const functionOf = {};
const taskStates = {};
(function walk(states) {
  for (const [name, s] of Object.entries(states)) {
    if (s.ItemProcessor) walk(s.ItemProcessor.States);
    if (s.Type !== 'Task') continue;
    const m = /^\$\{(\w+)FunctionArn\}$/.exec(s.Parameters.FunctionName);
    functionOf[name] = m[1].toLowerCase();
    taskStates[name] = s;
    s.Parameters.FunctionName = 'arn:aws:lambda:us-east-1:123456789012:function:' + m[1];
    // aws-local-stepfunctions reads TimeoutSecondsPath from the task's
    // effective input (after Parameters) where Step Functions reads the
    // state's input: carry the value under the same name so both read it.
    const t = /^\$\.(\w+)$/.exec(s.TimeoutSecondsPath || '');
    if (t && !(t[1] + '.$' in s.Parameters)) s.Parameters[t[1] + '.$'] = s.TimeoutSecondsPath;
  }
})(definition.States);

const calls = {};
const handlers = {};
for (const [state, fn] of Object.entries(functionOf)) {
  const waits = taskStates[state].Resource.endsWith('.waitForTaskToken');
  handlers[state] = async (input) => {
    const payload = input.Payload;
    (calls[fn] = calls[fn] || []).push(payload);
    const list = scenario.answers[fn] || [{ payload: {} }];
    const answer = list[Math.min(calls[fn].length - 1, list.length - 1)];
    if (answer.hang) return new Promise(() => {});
    if (answer.error) {
      const err = new Error(answer.cause || answer.error);
      err.name = answer.error;
      throw err;
    }
    let value = answer.payload;
    if (typeof value === 'string' && value.startsWith('$echo:')) value = payload[value.slice(6)];
    // lambda:invoke wraps the function's answer in Payload; a callback task's
    // result is what SendTaskSuccess sent.
    return waits ? value : { Payload: value, StatusCode: 200 };
  };
}

// No waiting between retries: the count matters here, not the pace.
const retryIntervalOverrides = {};
for (const state of Object.keys(taskStates)) retryIntervalOverrides[state] = 0;

(async () => {
  const machine = new StateMachine(definition, { validationOptions: { checkPaths: true, checkArn: true } });
  const execution = machine.run(scenario.input, {
    overrides: { taskResourceLocalHandlers: handlers, retryIntervalOverrides },
    context: {
      Execution: { Id: 'arn:aws:states:us-east-1:123456789012:execution:steward-retrain:heart-1', Input: scenario.input },
      Task: { Token: 'token-1' },
    },
  });
  const states = [];
  const collect = (async () => {
    for await (const ev of execution.eventLogs) {
      if (ev.type === 'StateEntered' && ev.index === undefined) states.push(ev.state.name);
    }
  })();
  const out = { calls, states };
  try {
    out.output = await execution.result;
    out.status = 'SUCCEEDED';
  } catch (err) {
    // The library wraps the failure in an ExecutionError whose cause is the
    // error the execution ended with (a Fail state's Error and Cause).
    const cause = err.cause || err;
    out.status = 'FAILED';
    out.error = cause.name;
    out.cause = cause.message;
  }
  await collect;
  process.stdout.write(JSON.stringify(out) + '\n');
  process.exit(0);
})();

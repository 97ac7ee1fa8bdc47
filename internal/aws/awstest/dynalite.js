// Starts dynalite (the DynamoDB emulator from npm) on a free loopback port,
// in memory, and prints "listening <port>" once it accepts connections.
//
// dynalite 4 does not implement TransactWriteItems, which the DynamoDB record
// store uses for batches. This launcher adds it on top of dynalite's own
// storage, with DynamoDB's semantics: every condition is checked while all
// the items of the transaction are locked; if any fails, nothing is written
// and the answer is a TransactionCanceledException whose CancellationReasons
// list one reason per item, in order. Conditions are parsed and evaluated by
// dynalite's own PutItem/DeleteItem validation and condition code. Update
// items are not supported (the record store never sends them).
'use strict'

const dynalite = require('dynalite')
const db = require('dynalite/db')
const validations = require('dynalite/validations')

const KINDS = {
  Put: require('dynalite/validations/putItem'),
  Delete: require('dynalite/validations/deleteItem'),
  ConditionCheck: require('dynalite/validations/deleteItem'),
}

let store
const create = db.create
db.create = function (options) {
  store = create(options)
  return store
}

function error (type, message, extra) {
  const err = new Error(message)
  err.statusCode = 400
  err.body = Object.assign({ __type: type, message }, extra || {})
  return err
}

function validationError (message) {
  return error('com.amazon.coral.validate#ValidationException', message)
}

// parse turns one TransactItem into a request dynalite's validators accept.
function parse (item, i) {
  const kinds = Object.keys(item).filter((k) => item[k] != null)
  if (kinds.length !== 1) throw validationError(`TransactItems[${i}] must have exactly one of Put, Delete, ConditionCheck`)
  const kind = kinds[0]
  const spec = KINDS[kind]
  if (!spec) throw validationError(`TransactItems[${i}].${kind} is not supported by this emulator`)
  const req = Object.assign({}, item[kind])
  delete req.ReturnValuesOnConditionCheckFailure
  if (kind === 'ConditionCheck' && req.ConditionExpression == null) {
    throw validationError(`TransactItems[${i}].ConditionCheck needs a ConditionExpression`)
  }
  const checked = validations.checkTypes(req, spec.types)
  validations.checkValidations(checked, spec.types, spec.custom, store)
  return { kind, req: checked }
}

function getTables (ops, cb) {
  let pending = ops.length
  let failed = false
  ops.forEach((op) => {
    store.getTable(op.req.TableName, (err, table) => {
      if (failed) return
      if (err) { failed = true; return cb(err) }
      op.table = table
      if (--pending === 0) cb(null)
    })
  })
}

function transactWriteItems (data, cb) {
  const items = data.TransactItems
  if (!Array.isArray(items) || items.length < 1 || items.length > 100) {
    return cb(validationError('TransactItems must hold between 1 and 100 items'))
  }
  let ops
  try {
    ops = items.map(parse)
  }
  catch (err) {
    return cb(err)
  }
  getTables(ops, (err) => {
    if (err) return cb(err)
    const seen = new Set()
    for (const op of ops) {
      const invalid = op.kind === 'Put' ? db.validateItem(op.req.Item, op.table) : db.validateKey(op.req.Key, op.table)
      if (invalid) return cb(invalid)
      op.key = db.createKey(op.kind === 'Put' ? op.req.Item : op.req.Key, op.table)
      op.itemDb = store.getItemDb(op.req.TableName)
      const id = op.req.TableName + '\u0000' + op.key
      if (seen.has(id)) return cb(validationError('Transaction request cannot include multiple operations on one item'))
      seen.add(id)
    }
    // Lock every item, table by table in name order, so transactions never deadlock.
    const byTable = new Map()
    for (const op of ops) {
      if (!byTable.has(op.req.TableName)) byTable.set(op.req.TableName, [])
      byTable.get(op.req.TableName).push(op)
    }
    const tables = [ ...byTable.keys() ].sort()
    const releases = []
    const releaseAll = (done) => (...args) => {
      releases.reverse().forEach((r) => r(() => {})())
      done(...args)
    }
    const lockNext = (t) => {
      if (t === tables.length) return run(ops, releaseAll(cb))
      const tOps = byTable.get(tables[t])
      tOps[0].itemDb.lock(tOps.map((op) => op.key), (release) => {
        releases.push(release)
        lockNext(t + 1)
      })
    }
    lockNext(0)
  })
}

function run (ops, cb) {
  let pending = ops.length
  let failed = false
  ops.forEach((op) => {
    op.itemDb.get(op.key, (err, existing) => {
      if (failed) return
      if (err && err.name !== 'NotFoundError' && err.code !== 'LEVEL_NOT_FOUND') { failed = true; return cb(err) }
      op.existing = existing || undefined
      if (--pending === 0) commit(ops, cb)
    })
  })
}

function commit (ops, cb) {
  const reasons = ops.map((op) => db.checkConditional(op.req, op.existing) ? 'ConditionalCheckFailed' : 'None')
  if (reasons.some((r) => r !== 'None')) {
    return cb(error('com.amazonaws.dynamodb.v20120810#TransactionCanceledException',
      `Transaction cancelled, please refer cancellation reasons for specific reasons [${reasons.join(', ')}]`,
      { CancellationReasons: reasons.map((Code) => Code === 'None' ? { Code } : { Code, Message: 'The conditional request failed' }) }))
  }
  const byTable = new Map()
  for (const op of ops) {
    if (op.kind === 'ConditionCheck') continue
    if (!byTable.has(op.req.TableName)) byTable.set(op.req.TableName, { itemDb: op.itemDb, batch: [] })
    byTable.get(op.req.TableName).batch.push(op.kind === 'Put'
      ? { type: 'put', key: op.key, value: op.req.Item }
      : { type: 'del', key: op.key })
  }
  const groups = [ ...byTable.values() ]
  let pending = groups.length
  if (pending === 0) return cb(null, {})
  let failed = false
  groups.forEach((g) => g.itemDb.batch(g.batch, (err) => {
    if (failed) return
    if (err) { failed = true; return cb(err) }
    if (--pending === 0) cb(null, {})
  }))
}

const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 })
const [ dynaliteHandler ] = server.listeners('request')
server.removeAllListeners('request')
server.on('request', (req, res) => {
  if (req.method !== 'POST' || !/\.TransactWriteItems$/.test(req.headers['x-amz-target'] || '')) {
    return dynaliteHandler(req, res)
  }
  const chunks = []
  req.on('data', (c) => chunks.push(c))
  req.on('end', () => {
    const send = (status, body) => {
      const text = JSON.stringify(body)
      res.statusCode = status
      res.setHeader('Content-Type', 'application/x-amz-json-1.0')
      res.setHeader('x-amzn-RequestId', 'transact-' + Date.now())
      res.setHeader('Content-Length', Buffer.byteLength(text))
      res.end(text)
    }
    let data
    try {
      data = JSON.parse(Buffer.concat(chunks).toString() || '{}')
    }
    catch {
      return send(400, { __type: 'com.amazon.coral.service#SerializationException' })
    }
    transactWriteItems(data, (err, out) => {
      if (err && err.statusCode) return send(err.statusCode, err.body)
      if (err) return send(500, { __type: 'com.amazonaws.dynamodb.v20120810#InternalServerError', message: String(err) })
      send(200, out)
    })
  })
})
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`listening ${server.address().port}\n`)
})
// Exit with the test process: it closes our stdin when it ends, even if killed.
process.stdin.on('end', () => process.exit(0))
process.stdin.on('error', () => process.exit(0))
process.stdin.resume()

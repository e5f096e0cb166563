// An independent KMS client: grpc-js (pure JavaScript HTTP/2, no grpc-java, no C core) with the plugin's .proto
// files loaded at run time. It dials the socket as kube-apiserver does and checks round trips and that hostile
// input gets clean errors. Usage: node interop.js <socket path> <proto directory>. Exit 0 only if every check passed.
'use strict';
const grpc = require('@grpc/grpc-js');
const loader = require('@grpc/proto-loader');
const crypto = require('crypto');
const path = require('path');

const [socketPath, protoDir] = process.argv.slice(2);
const options = { keepCase: true, longs: String, enums: String, defaults: true, includeDirs: [protoDir] };
const v1beta1 = grpc.loadPackageDefinition(loader.loadSync(path.join('v1beta1', 'api.proto'), options)).v1beta1;
const v2 = grpc.loadPackageDefinition(loader.loadSync(path.join('v2', 'api.proto'), options)).v2;

const target = 'unix://' + socketPath;
const channelOptions = { 'grpc.default_authority': 'localhost', 'grpc.max_send_message_length': 1 << 20 };
const c2 = new v2.KeyManagementService(target, grpc.credentials.createInsecure(), channelOptions);
const c1 = new v1beta1.KeyManagementService(target, grpc.credentials.createInsecure(), channelOptions);

function call(client, method, request) {
  return new Promise((resolve) => {
    const deadline = new Date(Date.now() + 3000);
    client[method](request, { deadline, waitForReady: true }, (error, response) => resolve({ error, response }));
  });
}

const failures = [];
let checks = 0;
function check(name, condition, detail) {
  checks++;
  if (!condition) failures.push(name + (detail ? ': ' + detail : ''));
}

function clean(name, result, code) {
  const e = result.error;
  check(name + ' fails', e, 'expected an error, got an answer');
  if (!e) return;
  check(name + ' code', e.code === code, 'got ' + e.code + ' ' + e.details);
  check(name + ' says why', typeof e.details === 'string' && e.details.length > 0, 'empty details');
  check(name + ' has no stack trace', !/Exception|\n\s+at /.test(e.details), e.details);
}

(async () => {
  const status = await call(c2, 'Status', {});
  check('v2 Status answers', !status.error, status.error && status.error.message);
  const keyId = status.response ? status.response.key_id : '';
  check('v2 Status healthz', status.response && status.response.healthz === 'ok');
  check('v2 Status version', status.response && status.response.version === 'v2');
  check('v2 Status key_id', keyId.length > 0 && Buffer.byteLength(keyId) <= 1024);

  const seed = crypto.randomBytes(32);
  const enc = await call(c2, 'Encrypt', { plaintext: seed, uid: 'interop-1' });
  check('v2 Encrypt answers', !enc.error, enc.error && enc.error.message);
  const ciphertext = enc.response ? enc.response.ciphertext : Buffer.alloc(0);
  check('v2 Encrypt key_id equals Status key_id', enc.response && enc.response.key_id === keyId);
  check('v2 ciphertext within 1 KiB', ciphertext.length > 0 && ciphertext.length <= 1024);
  const dec = await call(c2, 'Decrypt', { ciphertext, key_id: keyId, uid: 'interop-2', annotations: {} });
  check('v2 round trip', !dec.error && Buffer.compare(dec.response.plaintext, seed) === 0,
    dec.error && dec.error.message);

  const version = await call(c1, 'Version', { version: 'v1beta1' });
  check('v1 Version', !version.error && version.response.version === 'v1beta1');
  check('v1 runtime_version is semver', version.response && /^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/.test(
    version.response.runtime_version), version.response && version.response.runtime_version);
  const dek = crypto.randomBytes(32);
  const enc1 = await call(c1, 'Encrypt', { version: 'v1beta1', plain: dek });
  const dec1 = await call(c1, 'Decrypt', { version: 'v1beta1', cipher: enc1.response ? enc1.response.cipher : '' });
  check('v1 round trip', !dec1.error && Buffer.compare(dec1.response.plain, dek) === 0,
    dec1.error && dec1.error.message);

  const INVALID_ARGUMENT = grpc.status.INVALID_ARGUMENT;
  clean('garbage ciphertext', await call(c2, 'Decrypt', { ciphertext: Buffer.from('garbage'), key_id: keyId }),
    INVALID_ARGUMENT);
  const tampered = Buffer.from(ciphertext);
  tampered[tampered.length - 1] ^= 1;
  clean('tampered ciphertext', await call(c2, 'Decrypt', { ciphertext: tampered, key_id: keyId }), INVALID_ARGUMENT);
  clean('truncated ciphertext', await call(c2, 'Decrypt', { ciphertext: ciphertext.subarray(0, 9),
    key_id: keyId }), INVALID_ARGUMENT);
  clean('wrong key_id', await call(c2, 'Decrypt', { ciphertext, key_id: 'someone-else' }), INVALID_ARGUMENT);
  clean('bad annotation key', await call(c2, 'Decrypt', { ciphertext, key_id: keyId,
    annotations: { 'Not A Domain': Buffer.from('x') } }), INVALID_ARGUMENT);
  clean('empty plaintext', await call(c2, 'Encrypt', { plaintext: Buffer.alloc(0) }), INVALID_ARGUMENT);
  clean('oversized plaintext', await call(c2, 'Encrypt', { plaintext: crypto.randomBytes(4096) }), INVALID_ARGUMENT);
  clean('oversized message', await call(c2, 'Encrypt', { plaintext: crypto.randomBytes(300 * 1024) }),
    grpc.status.RESOURCE_EXHAUSTED);
  clean('v1 wrong version', await call(c1, 'Encrypt', { version: 'v2', plain: dek }), INVALID_ARGUMENT);
  clean('v1 garbage', await call(c1, 'Decrypt', { version: 'v1beta1', cipher: crypto.randomBytes(64) }),
    INVALID_ARGUMENT);

  const after = await call(c2, 'Status', {});
  check('still healthy after hostile input', !after.error && after.response.healthz === 'ok');
  const again = await call(c2, 'Decrypt', { ciphertext, key_id: keyId });
  check('still correct after hostile input', !again.error && Buffer.compare(again.response.plaintext, seed) === 0);

  c1.close();
  c2.close();
  if (failures.length) {
    console.log('FAILED ' + failures.length + ' of ' + checks + ' checks:\n  ' + failures.join('\n  '));
    process.exit(1);
  }
  console.log('all ' + checks + ' checks passed');
})().catch((e) => {
  console.log('FAILED: ' + (e && e.stack));
  process.exit(1);
});

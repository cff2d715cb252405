// pail end-to-end checks with the AWS SDK for JavaScript v3 (@aws-sdk/client-s3),
// @aws-sdk/lib-storage and @aws-sdk/s3-request-presigner, run with node's own
// test runner:
//
//   PAIL_TEST_ENDPOINT=http://127.0.0.1:9000 PAIL_TEST_ACCESS_KEY=... \
//   PAIL_TEST_SECRET_KEY=... PAIL_TEST_BUCKET=existing-bucket \
//       node --test tests/js/s3_client_test.mjs
//
// tests/e2e/test_js_sdk.py creates the bucket and runs this file. Everything the
// checks compare against is computed here independently of the SDK: CRC32,
// CRC32C and CRC64/NVME by table-driven code of our own (checked against the
// published check values), SHA-1/SHA-256 with node:crypto, ETags with MD5.
import { test, before } from "node:test";
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { createReadStream, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";

import {
  S3Client,
  PutObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  HeadBucketCommand,
  ListObjectsV2Command,
  DeleteObjectsCommand,
  DeleteObjectCommand,
  paginateListObjectsV2,
  CreateMultipartUploadCommand,
  UploadPartCommand,
  ListPartsCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
} from "@aws-sdk/client-s3";
import { Upload } from "@aws-sdk/lib-storage";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";

const ENDPOINT = process.env.PAIL_TEST_ENDPOINT;
const ACCESS_KEY = process.env.PAIL_TEST_ACCESS_KEY;
const SECRET_KEY = process.env.PAIL_TEST_SECRET_KEY;
const BUCKET = process.env.PAIL_TEST_BUCKET;
for (const [name, value] of Object.entries({ PAIL_TEST_ENDPOINT: ENDPOINT, PAIL_TEST_ACCESS_KEY: ACCESS_KEY,
  PAIL_TEST_SECRET_KEY: SECRET_KEY, PAIL_TEST_BUCKET: BUCKET })) {
  if (!value) {
    console.error(`s3_client_test.mjs: ${name} is not set`);
    process.exit(2);
  }
}

const MiB = 1024 * 1024;
// Every key this run writes lives under RUN/ so reruns against one bucket do not collide.
const RUN = `js-${Date.now().toString(36)}-${randomBytes(3).toString("hex")}`;

function makeClient(extra = {}) {
  return new S3Client({
    endpoint: ENDPOINT,
    region: "us-east-1",
    forcePathStyle: true,
    credentials: { accessKeyId: ACCESS_KEY, secretAccessKey: SECRET_KEY },
    maxAttempts: 1, // a server error must surface, not be retried away
    ...extra,
  });
}
const s3 = makeClient();

// The headers of the last request the SDK sent through s3 (after its checksum
// middleware and signing), so tests can check what really went over the wire.
let lastRequestHeaders = {};
s3.middlewareStack.add((next) => async (args) => {
  lastRequestHeaders = { ...(args.request?.headers ?? {}) };
  return next(args);
}, { step: "finalizeRequest", priority: "low", name: "pailRecordRequestHeaders" });
const sentHeader = (name) => {
  for (const [k, v] of Object.entries(lastRequestHeaders)) if (k.toLowerCase() === name) return v;
  return undefined;
};

// ------------------------------------------------------------- checksums
function crc32Table(poly) {
  const t = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ poly : c >>> 1;
    t[i] = c >>> 0;
  }
  return t;
}
const CRC32_T = crc32Table(0xedb88320); // reflected 0x04C11DB7
const CRC32C_T = crc32Table(0x82f63b78); // reflected 0x1EDC6F41

function crc32With(table, buf) {
  let c = 0xffffffff;
  for (let i = 0; i < buf.length; i++) c = table[(c ^ buf[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

// CRC-64/NVME: reflected, polynomial 0xAD93D23594C93659 (reflected form
// 0x9A6C9329AC4BC9B5), init and xorout all ones. The 64-bit state is kept as two
// uint32 halves (BigInt per byte is too slow for 12 MiB).
const CRC64_HI = new Uint32Array(256);
const CRC64_LO = new Uint32Array(256);
{
  const POLY_HI = 0x9a6c9329;
  const POLY_LO = 0xac4bc9b5;
  for (let i = 0; i < 256; i++) {
    let hi = 0;
    let lo = i;
    for (let k = 0; k < 8; k++) {
      const bit = lo & 1;
      lo = ((lo >>> 1) | ((hi & 1) << 31)) >>> 0;
      hi = hi >>> 1;
      if (bit) {
        hi = (hi ^ POLY_HI) >>> 0;
        lo = (lo ^ POLY_LO) >>> 0;
      }
    }
    CRC64_HI[i] = hi;
    CRC64_LO[i] = lo;
  }
}
function crc64nvme(buf) {
  let hi = 0xffffffff;
  let lo = 0xffffffff;
  for (let i = 0; i < buf.length; i++) {
    const idx = (lo ^ buf[i]) & 0xff;
    const nlo = ((lo >>> 8) | ((hi & 0xff) << 24)) >>> 0;
    const nhi = hi >>> 8;
    lo = (nlo ^ CRC64_LO[idx]) >>> 0;
    hi = (nhi ^ CRC64_HI[idx]) >>> 0;
  }
  const out = Buffer.alloc(8);
  out.writeUInt32BE((hi ^ 0xffffffff) >>> 0, 0);
  out.writeUInt32BE((lo ^ 0xffffffff) >>> 0, 4);
  return out;
}

function be32(n) {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0, 0);
  return b;
}

// Raw (big-endian) digest bytes of buf for an S3 checksum algorithm.
function rawChecksum(algorithm, buf) {
  switch (algorithm) {
    case "CRC32": return be32(crc32With(CRC32_T, buf));
    case "CRC32C": return be32(crc32With(CRC32C_T, buf));
    case "CRC64NVME": return crc64nvme(buf);
    case "SHA1": return createHash("sha1").update(buf).digest();
    case "SHA256": return createHash("sha256").update(buf).digest();
    default: throw new Error(`unknown algorithm ${algorithm}`);
  }
}
const b64Checksum = (algorithm, buf) => rawChecksum(algorithm, buf).toString("base64");
const md5Hex = (buf) => createHash("md5").update(buf).digest("hex");
// The response member that carries an algorithm's checksum: ChecksumCRC64NVME etc.
const member = (algorithm) => `Checksum${algorithm}`;
const ALGORITHMS = ["CRC32", "CRC32C", "CRC64NVME", "SHA1", "SHA256"];

async function bodyBytes(getResult) {
  return Buffer.from(await getResult.Body.transformToByteArray());
}

// A Readable that hands out `data` in pieces of the given sizes (cycled), so the
// SDK's aws-chunked encoder sees irregular reads.
function irregularStream(data, sizes = [1, 7, 8192, 3, 65536, 100000, 13]) {
  let off = 0;
  let i = 0;
  return new Readable({
    read() {
      if (off >= data.length) {
        this.push(null);
        return;
      }
      const n = sizes[i++ % sizes.length];
      this.push(data.subarray(off, off + n));
      off += n;
    },
  });
}

before(async () => {
  await s3.send(new HeadBucketCommand({ Bucket: BUCKET }));
});

// ------------------------------------------------------------------ tests
test("own checksum code matches the published check values", () => {
  const check = Buffer.from("123456789");
  assert.equal(crc32With(CRC32_T, check), 0xcbf43926);
  assert.equal(crc32With(CRC32C_T, check), 0xe3069283);
  assert.equal(crc64nvme(check).toString("hex"), "ae8b14860a799888");
  assert.equal(b64Checksum("CRC32", Buffer.alloc(0)), "AAAAAA==");
});

for (const algorithm of ALGORITHMS) {
  test(`PutObject ChecksumAlgorithm=${algorithm}, GetObject/HeadObject ChecksumMode=ENABLED`, async () => {
    const key = `${RUN}/checksum/${algorithm.toLowerCase()}.bin`;
    const data = randomBytes(300 * 1024 + 17);
    const want = b64Checksum(algorithm, data);

    const put = await s3.send(new PutObjectCommand({
      Bucket: BUCKET, Key: key, Body: data, ChecksumAlgorithm: algorithm,
    }));
    assert.equal(put.ETag, `"${md5Hex(data)}"`);
    assert.equal(put[member(algorithm)], want, `PutObject response x-amz-checksum-${algorithm.toLowerCase()}`);

    // The SDK checks the body against the checksum header on GetObject; a
    // mismatch would throw while reading the body.
    const got = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key, ChecksumMode: "ENABLED" }));
    assert.equal(got[member(algorithm)], want, `GetObject x-amz-checksum-${algorithm.toLowerCase()}`);
    assert.equal(got.ChecksumType, "FULL_OBJECT");
    assert.equal(got.ContentLength, data.length);
    assert.equal(got.ETag, `"${md5Hex(data)}"`);
    assert.ok((await bodyBytes(got)).equals(data), "GetObject body differs from what was put");

    const head = await s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key, ChecksumMode: "ENABLED" }));
    assert.equal(head[member(algorithm)], want, `HeadObject x-amz-checksum-${algorithm.toLowerCase()}`);
    assert.equal(head.ContentLength, data.length);

    // Without ChecksumMode the checksum is not returned (AWS sends it only on request).
    const plain = await s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key }));
    assert.equal(plain[member(algorithm)], undefined);
  });
}

test("PutObject with a wrong precomputed checksum is rejected (BadDigest)", async () => {
  const key = `${RUN}/checksum/wrong.bin`;
  const data = Buffer.from("the body that was really sent");
  await assert.rejects(
    s3.send(new PutObjectCommand({
      Bucket: BUCKET, Key: key, Body: data, ChecksumCRC32C: b64Checksum("CRC32C", Buffer.from("other")),
    })),
    (err) => {
      assert.equal(err.$metadata?.httpStatusCode, 400, String(err));
      assert.equal(err.name, "BadDigest");
      return true;
    },
  );
  await assert.rejects(s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key })),
    (err) => err.$metadata?.httpStatusCode === 404);
});

for (const algorithm of ["CRC32", "CRC32C", "CRC64NVME", "SHA256"]) {
  test(`PutObject with a Node stream body (aws-chunked + ${algorithm} trailer)`, async () => {
    const key = `${RUN}/stream/irregular-${algorithm.toLowerCase()}.bin`;
    const data = randomBytes(1 * MiB + 12345);
    const put = await s3.send(new PutObjectCommand({
      Bucket: BUCKET, Key: key, Body: irregularStream(data), ContentLength: data.length,
      ChecksumAlgorithm: algorithm, ContentType: "application/x-test",
    }));
    // What TOOLCHAIN.md says the SDK sends for a stream body, even over http.
    assert.match(sentHeader("content-encoding") ?? "", /aws-chunked/);
    assert.equal(sentHeader("x-amz-content-sha256"), "STREAMING-UNSIGNED-PAYLOAD-TRAILER");
    assert.equal(sentHeader("x-amz-trailer"), `x-amz-checksum-${algorithm.toLowerCase()}`);
    assert.equal(sentHeader("x-amz-decoded-content-length"), String(data.length));
    assert.equal(put.ETag, `"${md5Hex(data)}"`);
    assert.equal(put[member(algorithm)], b64Checksum(algorithm, data));

    const got = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key, ChecksumMode: "ENABLED" }));
    assert.equal(got.ContentLength, data.length);
    assert.equal(got.ContentType, "application/x-test");
    // aws-chunked is transfer framing: it must not be stored as the object's encoding.
    assert.ok(!got.ContentEncoding, `Content-Encoding stored: ${got.ContentEncoding}`);
    assert.equal(got[member(algorithm)], b64Checksum(algorithm, data));
    assert.ok((await bodyBytes(got)).equals(data), "stream upload stored different bytes");
  });
}

test("PutObject with an fs.ReadStream body (length from the file, default CRC32 trailer)", async () => {
  const dir = mkdtempSync(join(tmpdir(), "pail-js-"));
  try {
    const path = join(dir, "file.bin");
    const data = randomBytes(3 * MiB + 1);
    writeFileSync(path, data);
    const key = `${RUN}/stream/from-file.bin`;
    const put = await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: createReadStream(path) }));
    assert.equal(sentHeader("x-amz-trailer"), "x-amz-checksum-crc32");
    assert.equal(sentHeader("x-amz-decoded-content-length"), String(data.length));
    assert.equal(put.ETag, `"${md5Hex(data)}"`);
    assert.equal(put.ChecksumCRC32, b64Checksum("CRC32", data));
    const got = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key, ChecksumMode: "ENABLED" }));
    assert.equal(got.ChecksumCRC32, b64Checksum("CRC32", data));
    assert.ok((await bodyBytes(got)).equals(data));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("PutObject with an empty stream body", async () => {
  const key = `${RUN}/stream/empty`;
  const put = await s3.send(new PutObjectCommand({
    Bucket: BUCKET, Key: key, Body: Readable.from([]), ContentLength: 0,
  }));
  assert.equal(put.ETag, `"${md5Hex(Buffer.alloc(0))}"`);
  const got = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key, ChecksumMode: "ENABLED" }));
  assert.equal(got.ContentLength, 0);
  assert.equal((await bodyBytes(got)).length, 0);
});

test("lib-storage Upload of 12 MiB from a stream (multipart, composite CRC32)", async () => {
  const key = `${RUN}/upload/twelve.bin`;
  const data = randomBytes(12 * MiB + 4321);
  const partSize = 5 * MiB;
  const parts = [];
  for (let off = 0; off < data.length; off += partSize) parts.push(data.subarray(off, off + partSize));
  assert.equal(parts.length, 3);

  const upload = new Upload({
    client: s3,
    params: { Bucket: BUCKET, Key: key, Body: irregularStream(data, [65536, 1000, 300000]),
      ContentType: "video/x-test", Metadata: { origin: "lib-storage" } },
    partSize,
    queueSize: 3,
  });
  const progress = [];
  upload.on("httpUploadProgress", (p) => progress.push(p.part));
  const res = await upload.done();
  // The last request is CompleteMultipartUpload.
  assert.match(sentHeader("content-type") ?? "", /xml/);

  const partMd5s = Buffer.concat(parts.map((p) => createHash("md5").update(p).digest()));
  const wantETag = `"${md5Hex(partMd5s)}-${parts.length}"`;
  assert.equal(res.ETag, wantETag);
  assert.deepEqual([...new Set(progress)].sort(), [1, 2, 3]);

  // lib-storage asks for CRC32 (CreateMultipartUpload x-amz-checksum-algorithm: CRC32,
  // no checksum type, so COMPOSITE) and lists each part's CRC32 in Complete:
  // the object's checksum is CRC32 over the concatenated part CRC32s, "-N".
  const composite = `${b64Checksum("CRC32", Buffer.concat(parts.map((p) => rawChecksum("CRC32", p))))}-${parts.length}`;
  assert.equal(res.ChecksumCRC32, composite, "CompleteMultipartUpload ChecksumCRC32");

  const got = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key, ChecksumMode: "ENABLED" }));
  assert.equal(got.ContentLength, data.length);
  assert.equal(got.ETag, wantETag);
  assert.equal(got.ContentType, "video/x-test");
  assert.deepEqual(got.Metadata, { origin: "lib-storage" });
  assert.equal(got.ChecksumCRC32, composite);
  assert.equal(got.ChecksumType, "COMPOSITE");
  assert.ok((await bodyBytes(got)).equals(data), "multipart object differs from the uploaded bytes");

  const part2 = await s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key, PartNumber: 2 }));
  assert.equal(part2.ContentLength, partSize);
  assert.equal(part2.PartsCount, 3);
  assert.equal(part2.ETag, wantETag);

  const ranged = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key, Range: `bytes=${partSize - 10}-${partSize + 9}` }));
  assert.equal(ranged.ContentRange, `bytes ${partSize - 10}-${partSize + 9}/${data.length}`);
  assert.ok((await bodyBytes(ranged)).equals(data.subarray(partSize - 10, partSize + 10)));
});

test("lib-storage Upload with ChecksumAlgorithm CRC64NVME (full-object multipart checksum)", async () => {
  const key = `${RUN}/upload/crc64.bin`;
  const data = randomBytes(11 * MiB + 99);
  const upload = new Upload({
    client: s3,
    params: { Bucket: BUCKET, Key: key, Body: Readable.from([data]), ChecksumAlgorithm: "CRC64NVME" },
    partSize: 5 * MiB,
  });
  const res = await upload.done();
  assert.match(res.ETag, /^"[0-9a-f]{32}-3"$/);
  const want = b64Checksum("CRC64NVME", data);
  assert.equal(res.ChecksumCRC64NVME, want, "CompleteMultipartUpload ChecksumCRC64NVME");
  const got = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key, ChecksumMode: "ENABLED" }));
  assert.equal(got.ChecksumCRC64NVME, want);
  assert.equal(got.ChecksumType, "FULL_OBJECT");
  assert.ok((await bodyBytes(got)).equals(data));
});

test("lib-storage Upload of a small Buffer uses a single PutObject", async () => {
  const key = `${RUN}/upload/small.txt`;
  const data = Buffer.from("small enough for one PUT\n");
  const res = await new Upload({ client: s3, params: { Bucket: BUCKET, Key: key, Body: data } }).done();
  assert.equal(res.ETag, `"${md5Hex(data)}"`);
  const got = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
  assert.ok((await bodyBytes(got)).equals(data));
});

test("ListObjectsV2 with Prefix and Delimiter, and paginated", async () => {
  const base = `${RUN}/list/`;
  const names = ["a.txt", "b/one.txt", "b/two.txt", "c d/x.txt", "x y.txt", "ünïcödé.txt", "z/deep/er.txt", "zz"];
  for (const n of names) {
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: base + n, Body: Buffer.from(n) }));
  }
  const res = await s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: base, Delimiter: "/" }));
  // Keys sort by UTF-8 bytes: "ü" (0xC3 0xBC) sorts after ASCII "zz".
  assert.deepEqual((res.Contents ?? []).map((o) => o.Key), ["a.txt", "x y.txt", "zz", "ünïcödé.txt"].map((n) => base + n));
  assert.deepEqual((res.CommonPrefixes ?? []).map((p) => p.Prefix), ["b/", "c d/", "z/"].map((n) => base + n));
  assert.equal(res.KeyCount, 7);
  assert.equal(res.IsTruncated, false);
  assert.equal(res.Prefix, base);
  assert.equal(res.Delimiter, "/");
  for (const o of res.Contents) {
    const n = o.Key.slice(base.length);
    assert.equal(o.Size, Buffer.byteLength(n));
    assert.equal(o.ETag, `"${md5Hex(Buffer.from(n))}"`);
    assert.ok(o.LastModified instanceof Date && !Number.isNaN(o.LastModified.getTime()));
  }

  const sub = await s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: `${base}b/`, Delimiter: "/" }));
  assert.deepEqual(sub.Contents.map((o) => o.Key), [`${base}b/one.txt`, `${base}b/two.txt`]);
  assert.equal(sub.CommonPrefixes, undefined);

  // All keys, two at a time, through continuation tokens.
  const seen = [];
  let pages = 0;
  for await (const page of paginateListObjectsV2({ client: s3, pageSize: 2 }, { Bucket: BUCKET, Prefix: base })) {
    pages++;
    assert.ok((page.Contents ?? []).length <= 2);
    seen.push(...(page.Contents ?? []).map((o) => o.Key));
  }
  const all = names.map((n) => base + n).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  assert.deepEqual(seen, all);
  assert.equal(pages, 4);

  // StartAfter skips up to and including the given key.
  const after = await s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: base, StartAfter: `${base}x y.txt` }));
  assert.deepEqual(after.Contents.map((o) => o.Key), [`${base}z/deep/er.txt`, `${base}zz`, `${base}ünïcödé.txt`]);
});

test("HeadObject returns user metadata and standard headers", async () => {
  const key = `${RUN}/meta/object with spaces & ünïcode.json`;
  const data = Buffer.from('{"hello":"world"}');
  await s3.send(new PutObjectCommand({
    Bucket: BUCKET, Key: key, Body: data,
    ContentType: "application/json",
    CacheControl: "max-age=60",
    ContentDisposition: 'attachment; filename="x.json"',
    ContentLanguage: "en-GB",
    Metadata: { color: "blue", "Two-Words": "a value with spaces", empty: "" },
  }));
  const head = await s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key }));
  assert.equal(head.ContentLength, data.length);
  assert.equal(head.ContentType, "application/json");
  assert.equal(head.CacheControl, "max-age=60");
  assert.equal(head.ContentDisposition, 'attachment; filename="x.json"');
  assert.equal(head.ContentLanguage, "en-GB");
  assert.equal(head.ETag, `"${md5Hex(data)}"`);
  assert.deepEqual(head.Metadata, { color: "blue", "two-words": "a value with spaces", empty: "" });
  assert.ok(head.LastModified instanceof Date);
  assert.ok(Math.abs(head.LastModified.getTime() - Date.now()) < 5 * 60 * 1000, `LastModified ${head.LastModified}`);

  await assert.rejects(s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: `${key}.missing` })), (err) => {
    assert.equal(err.$metadata?.httpStatusCode, 404);
    assert.equal(err.name, "NotFound");
    return true;
  });
  await assert.rejects(s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: `${key}.missing` })), (err) => {
    assert.equal(err.$metadata?.httpStatusCode, 404);
    assert.equal(err.name, "NoSuchKey");
    return true;
  });
});

test("DeleteObjects removes many keys (missing keys count as deleted)", async () => {
  const base = `${RUN}/delete/`;
  const keys = ["one", "two", "sub/three", "with space", "ü"].map((n) => base + n);
  for (const k of keys) await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: k, Body: Buffer.from(k) }));
  await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: `${base}keep`, Body: Buffer.from("keep") }));

  const res = await s3.send(new DeleteObjectsCommand({
    Bucket: BUCKET,
    Delete: { Objects: [...keys, `${base}never-existed`].map((Key) => ({ Key })) },
  }));
  assert.deepEqual((res.Errors ?? []), []);
  assert.deepEqual(res.Deleted.map((d) => d.Key).sort(), [...keys, `${base}never-existed`].sort());

  const left = await s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: base }));
  assert.deepEqual(left.Contents.map((o) => o.Key), [`${base}keep`]);

  const quiet = await s3.send(new DeleteObjectsCommand({
    Bucket: BUCKET, Delete: { Objects: [{ Key: `${base}keep` }], Quiet: true },
  }));
  assert.deepEqual(quiet.Deleted ?? [], []);
  assert.deepEqual(quiet.Errors ?? [], []);
  const none = await s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: base }));
  assert.equal(none.KeyCount, 0);
  assert.equal(none.Contents, undefined);

  // DeleteObject of a missing key is a 204 too.
  const single = await s3.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: `${base}gone` }));
  assert.equal(single.$metadata.httpStatusCode, 204);
});

test("presigned GET URL (SigV4 query auth) fetched with fetch()", async () => {
  const key = `${RUN}/presign/a file+with?odd=chars&ü.txt`;
  const data = randomBytes(70000);
  await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: data, ContentType: "text/plain" }));

  const url = await getSignedUrl(s3, new GetObjectCommand({ Bucket: BUCKET, Key: key }), { expiresIn: 300 });
  const u = new URL(url);
  assert.equal(u.searchParams.get("X-Amz-Algorithm"), "AWS4-HMAC-SHA256");
  assert.ok(u.searchParams.get("X-Amz-Signature"));

  const r = await fetch(url);
  assert.equal(r.status, 200, await r.clone().text());
  assert.equal(r.headers.get("content-type"), "text/plain");
  assert.equal(r.headers.get("etag"), `"${md5Hex(data)}"`);
  assert.ok(Buffer.from(await r.arrayBuffer()).equals(data));

  // Response overrides are part of the signed query.
  const url2 = await getSignedUrl(s3, new GetObjectCommand({
    Bucket: BUCKET, Key: key, ResponseContentDisposition: 'attachment; filename="dl.txt"',
    ResponseContentType: "application/octet-stream",
  }), { expiresIn: 300 });
  const r2 = await fetch(url2);
  assert.equal(r2.status, 200, await r2.clone().text());
  assert.equal(r2.headers.get("content-disposition"), 'attachment; filename="dl.txt"');
  assert.equal(r2.headers.get("content-type"), "application/octet-stream");
  await r2.arrayBuffer();

  // A changed signature is refused.
  const bad = new URL(url);
  const sig = bad.searchParams.get("X-Amz-Signature");
  bad.searchParams.set("X-Amz-Signature", (sig[0] === "0" ? "1" : "0") + sig.slice(1));
  const r3 = await fetch(bad);
  const text3 = await r3.text();
  assert.equal(r3.status, 403, text3);
  assert.match(text3, /<Code>SignatureDoesNotMatch<\/Code>/);

  // An expired URL is refused.
  const short = await getSignedUrl(s3, new GetObjectCommand({ Bucket: BUCKET, Key: key }), { expiresIn: 1 });
  await new Promise((resolve) => setTimeout(resolve, 2100));
  const r4 = await fetch(short);
  const text4 = await r4.text();
  assert.equal(r4.status, 403, text4);
  assert.match(text4, /<Code>AccessDenied<\/Code>/);
  assert.match(text4, /expired/i);
});

test("presigned PUT URL (requestChecksumCalculation WHEN_REQUIRED) uploaded with fetch()", async () => {
  // The usual setup for browser uploads: without WHEN_REQUIRED the SDK signs
  // x-amz-checksum-crc32 of an empty body into the URL (see report).
  const presigner = makeClient({ requestChecksumCalculation: "WHEN_REQUIRED" });
  const key = `${RUN}/presign/uploaded by url.bin`;
  const data = randomBytes(150000);
  const url = await getSignedUrl(presigner, new PutObjectCommand({
    Bucket: BUCKET, Key: key, ContentType: "application/x-presigned",
  }), { expiresIn: 300 });
  assert.equal(new URL(url).searchParams.get("x-amz-checksum-crc32"), null);
  const r = await fetch(url, { method: "PUT", body: data, headers: { "content-type": "application/x-presigned" } });
  assert.equal(r.status, 200, await r.clone().text());
  assert.equal(r.headers.get("etag"), `"${md5Hex(data)}"`);
  await r.arrayBuffer();
  const got = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
  assert.equal(got.ContentType, "application/x-presigned");
  assert.ok((await bodyBytes(got)).equals(data));
});

test("ranged GetObject with ChecksumMode ENABLED: no full-object checksum for part of the body", async () => {
  // A full-object checksum on a 206 would make the SDK check a slice of the body
  // against the whole object's value (AWS returns no checksum on ranged GETs).
  const key = `${RUN}/range/obj.bin`;
  const data = randomBytes(100000);
  await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: data, ChecksumAlgorithm: "CRC32C" }));
  const got = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key, Range: "bytes=1000-1999", ChecksumMode: "ENABLED" }));
  assert.equal(got.$metadata.httpStatusCode, 206);
  assert.equal(got.ContentRange, `bytes 1000-1999/${data.length}`);
  assert.ok((await bodyBytes(got)).equals(data.subarray(1000, 2000)));
});

test("stream PutObject with ContentEncoding gzip: aws-chunked is stripped, gzip is kept", async () => {
  // The SDK sends "content-encoding: gzip,aws-chunked"; S3 stores "gzip".
  const key = `${RUN}/stream/gzipped.gz`;
  const data = randomBytes(200000);
  await s3.send(new PutObjectCommand({
    Bucket: BUCKET, Key: key, Body: irregularStream(data), ContentLength: data.length, ContentEncoding: "gzip",
  }));
  assert.match(sentHeader("content-encoding") ?? "", /^gzip,\s*aws-chunked$/);
  const head = await s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key }));
  assert.equal(head.ContentEncoding, "gzip");
  assert.equal(head.ContentLength, data.length);
  const got = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
  assert.equal(got.ContentEncoding, "gzip");
  assert.ok((await bodyBytes(got)).equals(data));
});

test("multipart by hand: stream UploadPart bodies with CRC32C trailers, ListParts, COMPOSITE checksum", async () => {
  const key = `${RUN}/mpu/crc32c.bin`;
  const parts = [randomBytes(5 * MiB), randomBytes(5 * MiB), randomBytes(777)];
  const create = await s3.send(new CreateMultipartUploadCommand({ Bucket: BUCKET, Key: key, ChecksumAlgorithm: "CRC32C" }));
  assert.equal(create.ChecksumAlgorithm, "CRC32C");
  const uploadId = create.UploadId;
  const done = [];
  // Parts go up out of order, from streams (aws-chunked with an x-amz-checksum-crc32c trailer).
  for (const n of [2, 3, 1]) {
    const body = parts[n - 1];
    const r = await s3.send(new UploadPartCommand({
      Bucket: BUCKET, Key: key, UploadId: uploadId, PartNumber: n,
      Body: irregularStream(body), ContentLength: body.length, ChecksumAlgorithm: "CRC32C",
    }));
    assert.equal(sentHeader("x-amz-trailer"), "x-amz-checksum-crc32c");
    assert.equal(r.ETag, `"${md5Hex(body)}"`);
    assert.equal(r.ChecksumCRC32C, b64Checksum("CRC32C", body));
    done.push({ PartNumber: n, ETag: r.ETag, ChecksumCRC32C: r.ChecksumCRC32C });
  }
  done.sort((a, b) => a.PartNumber - b.PartNumber);
  const listed = await s3.send(new ListPartsCommand({ Bucket: BUCKET, Key: key, UploadId: uploadId }));
  assert.deepEqual(listed.Parts.map((p) => [p.PartNumber, p.ETag, p.Size, p.ChecksumCRC32C]),
    done.map((p) => [p.PartNumber, p.ETag, parts[p.PartNumber - 1].length, p.ChecksumCRC32C]));
  assert.equal(listed.ChecksumAlgorithm, "CRC32C");

  const complete = await s3.send(new CompleteMultipartUploadCommand({
    Bucket: BUCKET, Key: key, UploadId: uploadId, MultipartUpload: { Parts: done },
  }));
  const composite = `${b64Checksum("CRC32C", Buffer.concat(parts.map((p) => rawChecksum("CRC32C", p))))}-3`;
  assert.equal(complete.ChecksumCRC32C, composite);
  const head = await s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key, ChecksumMode: "ENABLED" }));
  assert.equal(head.ChecksumCRC32C, composite);
  assert.equal(head.ChecksumType, "COMPOSITE");
  const got = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
  assert.ok((await bodyBytes(got)).equals(Buffer.concat(parts)));
});

test("multipart by hand: FULL_OBJECT CRC32, Complete carries the whole object's x-amz-checksum-crc32", async () => {
  const key = `${RUN}/mpu/full-crc32.bin`;
  const parts = [randomBytes(5 * MiB + 3), randomBytes(1234)];
  const whole = Buffer.concat(parts);
  const create = await s3.send(new CreateMultipartUploadCommand({
    Bucket: BUCKET, Key: key, ChecksumAlgorithm: "CRC32", ChecksumType: "FULL_OBJECT",
  }));
  assert.equal(create.ChecksumType, "FULL_OBJECT");
  const done = [];
  for (let n = 1; n <= parts.length; n++) {
    const r = await s3.send(new UploadPartCommand({
      Bucket: BUCKET, Key: key, UploadId: create.UploadId, PartNumber: n, Body: parts[n - 1], ChecksumAlgorithm: "CRC32",
    }));
    done.push({ PartNumber: n, ETag: r.ETag, ChecksumCRC32: r.ChecksumCRC32 });
  }
  const want = b64Checksum("CRC32", whole);
  const complete = await s3.send(new CompleteMultipartUploadCommand({
    Bucket: BUCKET, Key: key, UploadId: create.UploadId, MultipartUpload: { Parts: done },
    ChecksumCRC32: want, ChecksumType: "FULL_OBJECT",
  }));
  assert.equal(complete.ChecksumCRC32, want);
  assert.equal(complete.ChecksumType, "FULL_OBJECT");
  // Not "-N": the SDK validates this one against the body.
  const got = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key, ChecksumMode: "ENABLED" }));
  assert.equal(got.ChecksumCRC32, want);
  assert.equal(got.ChecksumType, "FULL_OBJECT");
  assert.ok((await bodyBytes(got)).equals(whole));
});

test("CopyObject with MetadataDirective REPLACE (key with a space and unicode)", async () => {
  const src = `${RUN}/copy/src.bin`;
  const dst = `${RUN}/copy/dst ü.bin`;
  const data = randomBytes(123456);
  await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: src, Body: data, Metadata: { a: "1" }, ContentType: "x/src" }));
  const copy = await s3.send(new CopyObjectCommand({
    Bucket: BUCKET, Key: dst, CopySource: `${BUCKET}/${encodeURIComponent(src).replace(/%2F/g, "/")}`,
    MetadataDirective: "REPLACE", Metadata: { b: "2" }, ContentType: "x/dst",
  }));
  assert.equal(copy.CopyObjectResult.ETag, `"${md5Hex(data)}"`);
  // Without x-amz-checksum-algorithm the source's checksum (the SDK's default CRC32) is copied.
  assert.equal(copy.CopyObjectResult.ChecksumCRC32, b64Checksum("CRC32", data));
  const head = await s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: dst }));
  assert.deepEqual(head.Metadata, { b: "2" });
  assert.equal(head.ContentType, "x/dst");
  const got = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: dst }));
  assert.ok((await bodyBytes(got)).equals(data));
});

test("CopyObject with ChecksumAlgorithm SHA256 computes a new checksum", async () => {
  // AWS: "You can optionally specify a different checksum algorithm to use with the
  // x-amz-checksum-algorithm header" (CopyObject); the source has the SDK's CRC32.
  const src = `${RUN}/copy/src-sha.bin`;
  const dst = `${RUN}/copy/dst-sha.bin`;
  const data = randomBytes(65432);
  await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: src, Body: data }));
  const copy = await s3.send(new CopyObjectCommand({
    Bucket: BUCKET, Key: dst, CopySource: `${BUCKET}/${src}`, ChecksumAlgorithm: "SHA256",
  }));
  assert.equal(copy.CopyObjectResult.ETag, `"${md5Hex(data)}"`);
  assert.equal(copy.CopyObjectResult.ChecksumSHA256, b64Checksum("SHA256", data));
  const head = await s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: dst, ChecksumMode: "ENABLED" }));
  assert.equal(head.ChecksumSHA256, b64Checksum("SHA256", data));
  assert.equal(head.ChecksumCRC32, undefined);
});

test("keys with XML-special characters through PutObject, ListObjectsV2 and DeleteObjects", async () => {
  const base = `${RUN}/xml/`;
  const names = ["a&b", "less<than", "greater>than", "quote\"d", "apos'trophe", "tab\there", "semi;colon", "percent%41"];
  for (const n of names) await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: base + n, Body: Buffer.from(n) }));
  const res = await s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: base }));
  const want = names.map((n) => base + n).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  assert.deepEqual(res.Contents.map((o) => o.Key), want);
  for (const n of names) {
    const got = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: base + n }));
    assert.equal((await bodyBytes(got)).toString(), n);
  }
  const del = await s3.send(new DeleteObjectsCommand({ Bucket: BUCKET, Delete: { Objects: want.map((Key) => ({ Key })) } }));
  assert.deepEqual(del.Errors ?? [], []);
  assert.deepEqual(del.Deleted.map((d) => d.Key).sort(), [...want].sort());
  const after = await s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: base }));
  assert.equal(after.KeyCount, 0);
});

test("conditional requests: IfNoneMatch * on PutObject, IfMatch/IfNoneMatch on GetObject", async () => {
  const key = `${RUN}/cond/obj`;
  const data = Buffer.from("first");
  const put = await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: data, IfNoneMatch: "*" }));
  await assert.rejects(s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: Buffer.from("second"), IfNoneMatch: "*" })),
    (err) => { assert.equal(err.$metadata?.httpStatusCode, 412, String(err)); return true; });
  await assert.rejects(s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key, IfNoneMatch: put.ETag })),
    (err) => { assert.equal(err.$metadata?.httpStatusCode, 304, String(err)); return true; });
  await assert.rejects(s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key, IfMatch: '"0123456789abcdef0123456789abcdef"' })),
    (err) => { assert.equal(err.$metadata?.httpStatusCode, 412, String(err)); return true; });
  const got = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key, IfMatch: put.ETag }));
  assert.equal((await bodyBytes(got)).toString(), "first");
});

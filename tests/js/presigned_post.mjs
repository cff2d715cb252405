// createPresignedPost (@aws-sdk/s3-presigned-post) against pail: builds SigV4
// POST forms the way the JS SDK does (capitalised "Policy" and "X-Amz-*" field
// names, a "bucket" field, ${filename} keys) and posts them with fetch/FormData.
//
//   PAIL_TEST_ENDPOINT=... PAIL_TEST_ACCESS_KEY=... PAIL_TEST_SECRET_KEY=... \
//   PAIL_TEST_BUCKET=existing-bucket node tests/js/presigned_post.mjs
//
// Prints one JSON line {ok, too_large, wrong_prefix}, each {status, body};
// tests/e2e/test_post_object.py::test_js_sdk_create_presigned_post judges them.
import { S3Client } from "@aws-sdk/client-s3";
import { createPresignedPost } from "@aws-sdk/s3-presigned-post";

const env = (name) => {
  const v = process.env[name];
  if (!v) {
    console.error(`presigned_post.mjs: ${name} is not set`);
    process.exit(2);
  }
  return v;
};
const ENDPOINT = env("PAIL_TEST_ENDPOINT");
const BUCKET = env("PAIL_TEST_BUCKET");

const client = new S3Client({
  endpoint: ENDPOINT,
  region: "us-east-1",
  forcePathStyle: true,
  credentials: { accessKeyId: env("PAIL_TEST_ACCESS_KEY"), secretAccessKey: env("PAIL_TEST_SECRET_KEY") },
});

async function send(url, fields, filename, body, override = {}) {
  const form = new FormData();
  for (const [k, v] of Object.entries({ ...fields, ...override })) form.append(k, v);
  form.append("file", new Blob([body], { type: "text/csv" }), filename);
  try {
    const r = await fetch(url, { method: "POST", body: form, redirect: "manual" });
    return { status: r.status, body: await r.text() };
  } catch (e) {
    // the server closed the connection or never answered: report it, do not crash
    return { status: 0, body: `fetch failed: ${e.message}${e.cause ? ` (${e.cause.code || e.cause.message})` : ""}` };
  }
}

const { url, fields } = await createPresignedPost(client, {
  Bucket: BUCKET,
  Key: "js/${filename}",
  Conditions: [["content-length-range", 1, 64]],
  Fields: { success_action_status: "201" },
  Expires: 600,
});

const results = {
  ok: await send(url, fields, "report.csv", "from,js\n1,2\n"),
  too_large: await send(url, fields, "big.csv", "x".repeat(65)),
  wrong_prefix: await send(url, fields, "x.csv", "a\n", { key: "elsewhere/x.csv" }),
};
console.log(JSON.stringify(results));

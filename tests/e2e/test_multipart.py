"""Multipart uploads: create/upload/list/complete/abort, their errors,
UploadPartCopy, GetObject by part number, composite checksums, and a 200 MiB
upload_file/download_file round trip with boto3's default TransferConfig."""
import base64
import hashlib
import os

import pytest
from botocore.exceptions import ClientError

from e2e_util import md5_hex, multipart_etag, sha256_b64

MiB = 1024 * 1024
BOGUS_UPLOAD = "bm90LWEtcmVhbC11cGxvYWQtaWQ"


def err(e):
    r = e.value.response
    return r["Error"]["Code"], r["ResponseMetadata"]["HTTPStatusCode"]


def upload_parts(s3, bucket, key, upload_id, parts, order=None):
    """Uploads parts (1-based numbering) in `order`; returns [{'PartNumber', 'ETag'}] sorted."""
    etags = {}
    for i in order or range(len(parts)):
        r = s3.upload_part(Bucket=bucket, Key=key, UploadId=upload_id, PartNumber=i + 1, Body=parts[i])
        assert r["ETag"] == '"%s"' % md5_hex(parts[i])
        etags[i + 1] = r["ETag"]
    return [{"PartNumber": n, "ETag": etags[n]} for n in sorted(etags)]


def test_multipart_out_of_order_list_complete(s3, bucket):
    parts = [os.urandom(5 * MiB), os.urandom(5 * MiB), os.urandom(123_457)]
    up = s3.create_multipart_upload(Bucket=bucket, Key="mp/obj", ContentType="application/x-mp",
                                    Metadata={"m": "p"})
    assert up["Bucket"] == bucket and up["Key"] == "mp/obj"
    uid = up["UploadId"]
    done = upload_parts(s3, bucket, "mp/obj", uid, parts, order=[1, 2, 0])

    lp = s3.list_parts(Bucket=bucket, Key="mp/obj", UploadId=uid)
    assert lp["UploadId"] == uid
    assert [p["PartNumber"] for p in lp["Parts"]] == [1, 2, 3]
    assert [p["Size"] for p in lp["Parts"]] == [len(p) for p in parts]
    assert [p["ETag"] for p in lp["Parts"]] == [d["ETag"] for d in done]
    assert lp["IsTruncated"] is False
    # Paging through parts.
    lp = s3.list_parts(Bucket=bucket, Key="mp/obj", UploadId=uid, MaxParts=2)
    assert [p["PartNumber"] for p in lp["Parts"]] == [1, 2]
    assert lp["IsTruncated"] is True
    assert lp["NextPartNumberMarker"] == 2
    lp = s3.list_parts(Bucket=bucket, Key="mp/obj", UploadId=uid, PartNumberMarker=2)
    assert [p["PartNumber"] for p in lp["Parts"]] == [3]

    # Not visible as an object until completed.
    with pytest.raises(ClientError) as e:
        s3.head_object(Bucket=bucket, Key="mp/obj")
    assert err(e) == ("404", 404)

    r = s3.complete_multipart_upload(Bucket=bucket, Key="mp/obj", UploadId=uid,
                                     MultipartUpload={"Parts": done})
    want_etag = multipart_etag(parts)
    assert r["ETag"] == want_etag
    assert r["Bucket"] == bucket and r["Key"] == "mp/obj"
    assert r["Location"]
    g = s3.get_object(Bucket=bucket, Key="mp/obj")
    assert g["ETag"] == want_etag
    assert g["ContentType"] == "application/x-mp"
    assert g["Metadata"] == {"m": "p"}
    assert g["ContentLength"] == sum(map(len, parts))
    assert g["Body"].read() == b"".join(parts)
    assert s3.list_objects_v2(Bucket=bucket)["Contents"][0]["ETag"] == want_etag
    # The upload is gone once completed.
    with pytest.raises(ClientError) as e:
        s3.list_parts(Bucket=bucket, Key="mp/obj", UploadId=uid)
    assert err(e) == ("NoSuchUpload", 404)


def test_part_overwrite_last_wins(s3, bucket):
    uid = s3.create_multipart_upload(Bucket=bucket, Key="ow")["UploadId"]
    s3.upload_part(Bucket=bucket, Key="ow", UploadId=uid, PartNumber=1, Body=b"first version")
    etag = s3.upload_part(Bucket=bucket, Key="ow", UploadId=uid, PartNumber=1, Body=b"second")["ETag"]
    parts = s3.list_parts(Bucket=bucket, Key="ow", UploadId=uid)["Parts"]
    assert [(p["PartNumber"], p["Size"], p["ETag"]) for p in parts] == [(1, 6, etag)]
    s3.complete_multipart_upload(Bucket=bucket, Key="ow", UploadId=uid,
                                 MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": etag}]})
    assert s3.get_object(Bucket=bucket, Key="ow")["Body"].read() == b"second"


def test_single_small_part_is_fine(s3, bucket):
    uid = s3.create_multipart_upload(Bucket=bucket, Key="one")["UploadId"]
    done = upload_parts(s3, bucket, "one", uid, [b"tiny"])
    r = s3.complete_multipart_upload(Bucket=bucket, Key="one", UploadId=uid, MultipartUpload={"Parts": done})
    assert r["ETag"] == multipart_etag([b"tiny"])
    assert s3.get_object(Bucket=bucket, Key="one")["Body"].read() == b"tiny"


def test_entity_too_small(s3, bucket):
    uid = s3.create_multipart_upload(Bucket=bucket, Key="small")["UploadId"]
    done = upload_parts(s3, bucket, "small", uid, [os.urandom(MiB), os.urandom(MiB)])
    with pytest.raises(ClientError) as e:
        s3.complete_multipart_upload(Bucket=bucket, Key="small", UploadId=uid, MultipartUpload={"Parts": done})
    assert err(e) == ("EntityTooSmall", 400)
    with pytest.raises(ClientError):
        s3.head_object(Bucket=bucket, Key="small")


def test_complete_errors_leave_upload_usable(s3, bucket):
    parts = [os.urandom(5 * MiB), os.urandom(5 * MiB), b"last part"]
    uid = s3.create_multipart_upload(Bucket=bucket, Key="e")["UploadId"]
    done = upload_parts(s3, bucket, "e", uid, parts)

    def complete(plist):
        return s3.complete_multipart_upload(Bucket=bucket, Key="e", UploadId=uid,
                                            MultipartUpload={"Parts": plist})

    wrong_etag = [done[0], {"PartNumber": 2, "ETag": '"%s"' % md5_hex(b"not it")}, done[2]]
    with pytest.raises(ClientError) as e:
        complete(wrong_etag)
    assert err(e) == ("InvalidPart", 400)
    with pytest.raises(ClientError) as e:
        complete(done[:2] + [{"PartNumber": 4, "ETag": done[2]["ETag"]}])  # never uploaded
    assert err(e) == ("InvalidPart", 400)
    with pytest.raises(ClientError) as e:
        complete([done[1], done[0], done[2]])  # sizes fine in any order
    assert err(e) == ("InvalidPartOrder", 400)
    with pytest.raises(ClientError) as e:
        complete([])
    assert err(e) == ("MalformedXML", 400)
    # Still pending and completable.
    assert [u["UploadId"] for u in s3.list_multipart_uploads(Bucket=bucket).get("Uploads", [])] == [uid]
    assert complete(done)["ETag"] == multipart_etag(parts)
    assert s3.get_object(Bucket=bucket, Key="e")["Body"].read() == b"".join(parts)


def test_complete_with_subset_of_parts(s3, bucket):
    # Parts left out of the complete list are dropped; numbers may have gaps.
    parts = [os.urandom(5 * MiB), os.urandom(5 * MiB), b"tail"]
    uid = s3.create_multipart_upload(Bucket=bucket, Key="gap")["UploadId"]
    done = upload_parts(s3, bucket, "gap", uid, parts)
    s3.complete_multipart_upload(Bucket=bucket, Key="gap", UploadId=uid,
                                 MultipartUpload={"Parts": [done[0], done[2]]})
    g = s3.get_object(Bucket=bucket, Key="gap")
    assert g["Body"].read() == parts[0] + parts[2]
    assert g["ETag"] == multipart_etag([parts[0], parts[2]])


@pytest.mark.parametrize("part_number", [0, 10001])
def test_part_number_out_of_range(s3, bucket, part_number):
    uid = s3.create_multipart_upload(Bucket=bucket, Key="pn")["UploadId"]
    with pytest.raises(ClientError) as e:
        s3.upload_part(Bucket=bucket, Key="pn", UploadId=uid, PartNumber=part_number, Body=b"x")
    assert err(e) == ("InvalidArgument", 400)


def test_no_such_upload(s3, bucket):
    calls = {
        "complete": lambda: s3.complete_multipart_upload(
            Bucket=bucket, Key="k", UploadId=BOGUS_UPLOAD,
            MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": '"%s"' % md5_hex(b"x")}]}),
        "abort": lambda: s3.abort_multipart_upload(Bucket=bucket, Key="k", UploadId=BOGUS_UPLOAD),
        "list_parts": lambda: s3.list_parts(Bucket=bucket, Key="k", UploadId=BOGUS_UPLOAD),
        "upload_part": lambda: s3.upload_part(Bucket=bucket, Key="k", UploadId=BOGUS_UPLOAD,
                                              PartNumber=1, Body=b"x"),
    }
    for name, call in calls.items():
        with pytest.raises(ClientError) as e:
            call()
        assert err(e) == ("NoSuchUpload", 404), name


def test_upload_id_is_bound_to_its_key(s3, bucket):
    uid = s3.create_multipart_upload(Bucket=bucket, Key="right")["UploadId"]
    with pytest.raises(ClientError) as e:
        s3.upload_part(Bucket=bucket, Key="wrong", UploadId=uid, PartNumber=1, Body=b"x")
    assert err(e) == ("NoSuchUpload", 404)


def test_list_multipart_uploads_and_abort(s3, bucket):
    u1 = s3.create_multipart_upload(Bucket=bucket, Key="pending/1")["UploadId"]
    u2 = s3.create_multipart_upload(Bucket=bucket, Key="pending/2")["UploadId"]
    u3 = s3.create_multipart_upload(Bucket=bucket, Key="other")["UploadId"]
    done_id = s3.create_multipart_upload(Bucket=bucket, Key="done")["UploadId"]
    parts = upload_parts(s3, bucket, "done", done_id, [b"d"])
    s3.complete_multipart_upload(Bucket=bucket, Key="done", UploadId=done_id, MultipartUpload={"Parts": parts})

    r = s3.list_multipart_uploads(Bucket=bucket)
    assert r["Bucket"] == bucket
    assert [(u["Key"], u["UploadId"]) for u in r["Uploads"]] == [
        ("other", u3), ("pending/1", u1), ("pending/2", u2)]
    assert all(u["Initiated"] for u in r["Uploads"])
    r = s3.list_multipart_uploads(Bucket=bucket, Prefix="pending/")
    assert [u["UploadId"] for u in r["Uploads"]] == [u1, u2]
    r = s3.list_multipart_uploads(Bucket=bucket, Delimiter="/")
    assert [u["Key"] for u in r.get("Uploads", [])] == ["other"]
    assert [p["Prefix"] for p in r.get("CommonPrefixes", [])] == ["pending/"]
    r = s3.list_multipart_uploads(Bucket=bucket, MaxUploads=1)
    assert r["IsTruncated"] is True
    assert [u["Key"] for u in r["Uploads"]] == ["other"]
    r = s3.list_multipart_uploads(Bucket=bucket, KeyMarker=r["NextKeyMarker"],
                                  UploadIdMarker=r["NextUploadIdMarker"])
    assert [u["Key"] for u in r["Uploads"]] == ["pending/1", "pending/2"]

    assert s3.abort_multipart_upload(Bucket=bucket, Key="pending/1", UploadId=u1)[
        "ResponseMetadata"]["HTTPStatusCode"] == 204
    with pytest.raises(ClientError) as e:
        s3.list_parts(Bucket=bucket, Key="pending/1", UploadId=u1)
    assert err(e) == ("NoSuchUpload", 404)
    with pytest.raises(ClientError) as e:
        s3.upload_part(Bucket=bucket, Key="pending/1", UploadId=u1, PartNumber=1, Body=b"late")
    assert err(e) == ("NoSuchUpload", 404)
    r = s3.list_multipart_uploads(Bucket=bucket)
    assert [u["UploadId"] for u in r["Uploads"]] == [u3, u2]
    # Aborted and pending uploads leave no objects behind.
    assert [o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]] == ["done"]


def test_upload_part_copy(s3, bucket, make_bucket):
    src_bucket = make_bucket()
    src = os.urandom(6 * MiB + 5)
    s3.put_object(Bucket=src_bucket, Key="src", Body=src)
    uid = s3.create_multipart_upload(Bucket=bucket, Key="assembled")["UploadId"]
    r1 = s3.upload_part_copy(Bucket=bucket, Key="assembled", UploadId=uid, PartNumber=1,
                             CopySource={"Bucket": src_bucket, "Key": "src"})
    assert r1["CopyPartResult"]["ETag"] == '"%s"' % md5_hex(src)
    r2 = s3.upload_part_copy(Bucket=bucket, Key="assembled", UploadId=uid, PartNumber=2,
                             CopySource={"Bucket": src_bucket, "Key": "src"},
                             CopySourceRange="bytes=1048576-2097151")
    piece = src[MiB:2 * MiB]
    assert r2["CopyPartResult"]["ETag"] == '"%s"' % md5_hex(piece)
    lp = s3.list_parts(Bucket=bucket, Key="assembled", UploadId=uid)
    assert [p["Size"] for p in lp["Parts"]] == [len(src), MiB]
    s3.complete_multipart_upload(Bucket=bucket, Key="assembled", UploadId=uid, MultipartUpload={"Parts": [
        {"PartNumber": 1, "ETag": r1["CopyPartResult"]["ETag"]},
        {"PartNumber": 2, "ETag": r2["CopyPartResult"]["ETag"]}]})
    g = s3.get_object(Bucket=bucket, Key="assembled")
    assert g["Body"].read() == src + piece
    assert g["ETag"] == multipart_etag([src, piece])


def test_upload_part_copy_missing_source(s3, bucket):
    uid = s3.create_multipart_upload(Bucket=bucket, Key="x")["UploadId"]
    with pytest.raises(ClientError) as e:
        s3.upload_part_copy(Bucket=bucket, Key="x", UploadId=uid, PartNumber=1,
                            CopySource={"Bucket": bucket, "Key": "absent"})
    assert err(e) == ("NoSuchKey", 404)


def test_get_and_head_by_part_number(s3, bucket):
    parts = [os.urandom(5 * MiB), os.urandom(5 * MiB), os.urandom(1000)]
    uid = s3.create_multipart_upload(Bucket=bucket, Key="pn")["UploadId"]
    done = upload_parts(s3, bucket, "pn", uid, parts)
    s3.complete_multipart_upload(Bucket=bucket, Key="pn", UploadId=uid, MultipartUpload={"Parts": done})
    total = sum(map(len, parts))
    g = s3.get_object(Bucket=bucket, Key="pn", PartNumber=1)
    assert g["ResponseMetadata"]["HTTPStatusCode"] == 206
    assert g["PartsCount"] == 3
    assert g["ResponseMetadata"]["HTTPHeaders"]["x-amz-mp-parts-count"] == "3"
    assert g["ContentLength"] == len(parts[0])
    assert g["ContentRange"] == "bytes 0-%d/%d" % (len(parts[0]) - 1, total)
    assert g["Body"].read() == parts[0]
    g = s3.get_object(Bucket=bucket, Key="pn", PartNumber=3)
    assert g["ContentRange"] == "bytes %d-%d/%d" % (total - 1000, total - 1, total)
    assert g["Body"].read() == parts[2]
    h = s3.head_object(Bucket=bucket, Key="pn", PartNumber=2)
    assert h["ResponseMetadata"]["HTTPStatusCode"] == 206
    assert h["PartsCount"] == 3
    assert h["ContentLength"] == len(parts[1])


def test_composite_sha256_checksum(s3, bucket):
    parts = [os.urandom(5 * MiB), os.urandom(777)]
    uid = s3.create_multipart_upload(Bucket=bucket, Key="ck", ChecksumAlgorithm="SHA256")["UploadId"]
    plist = []
    for i, p in enumerate(parts, 1):
        r = s3.upload_part(Bucket=bucket, Key="ck", UploadId=uid, PartNumber=i, Body=p,
                           ChecksumAlgorithm="SHA256")
        assert r["ChecksumSHA256"] == sha256_b64(p)
        plist.append({"PartNumber": i, "ETag": r["ETag"], "ChecksumSHA256": r["ChecksumSHA256"]})
    s3.complete_multipart_upload(Bucket=bucket, Key="ck", UploadId=uid, MultipartUpload={"Parts": plist})
    composite = base64.b64encode(hashlib.sha256(
        b"".join(hashlib.sha256(p).digest() for p in parts)).digest()).decode() + "-2"
    h = s3.head_object(Bucket=bucket, Key="ck", ChecksumMode="ENABLED")
    assert h["ChecksumSHA256"] == composite
    assert s3.get_object(Bucket=bucket, Key="ck")["Body"].read() == b"".join(parts)


@pytest.mark.slow
def test_upload_download_200mib_default_transfer_config(s3, bucket, tmp_path):
    size = 200 * MiB
    part = 8 * MiB  # boto3's default multipart_chunksize
    src = tmp_path / "big.bin"
    whole = hashlib.sha256()
    part_md5s = []
    with open(src, "wb") as f:
        for _ in range(size // part):
            block = os.urandom(part)
            whole.update(block)
            part_md5s.append(hashlib.md5(block).digest())
            f.write(block)
    s3.upload_file(str(src), bucket, "big/200mib.bin")
    h = s3.head_object(Bucket=bucket, Key="big/200mib.bin")
    assert h["ContentLength"] == size
    assert h["ETag"] == '"%s-%d"' % (hashlib.md5(b"".join(part_md5s)).hexdigest(), size // part)
    dst = tmp_path / "big.down"
    s3.download_file(bucket, "big/200mib.bin", str(dst))
    got = hashlib.sha256()
    with open(dst, "rb") as f:
        for block in iter(lambda: f.read(MiB), b""):
            got.update(block)
    assert os.path.getsize(dst) == size
    assert got.hexdigest() == whole.hexdigest()
    os.remove(src)
    os.remove(dst)

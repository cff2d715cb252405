"""The boto3 course code ("Introduction to AWS Boto in Python", chapter 1-2),
run as written against pail: buckets, upload_file, list_objects, head_object,
download_file, pandas reading straight from get_object's Body, deletes."""
import datetime as dt
import filecmp
import io

import pandas as pd
import pytest
from botocore.exceptions import ClientError

from conftest import empty_and_delete, unique_name
from e2e_util import md5_hex


def make_requests_df(day, rows=50):
    """A gid_requests-style frame (311 service requests) with a fixed layout."""
    services = ["Illegal Dumping", "Pothole", "Graffiti", "Street Light", "Abandoned Vehicle"]
    return pd.DataFrame({
        "service_request_id": [1000000 + day * 1000 + i for i in range(rows)],
        "service_name": [services[(i * 7 + day) % len(services)] for i in range(rows)],
        "status": ["closed" if i % 3 else "open" for i in range(rows)],
        "lat": [round(32.7 + (i % 17) * 0.01, 4) for i in range(rows)],
        "long": [round(-117.1 - (i % 13) * 0.01, 4) for i in range(rows)],
        "requested_datetime": ["2019-01-%02d %02d:%02d:00" % (day, i % 24, i % 60)
                               for i in range(rows)],
    })


@pytest.fixture
def course_bucket(s3):
    name = unique_name("gid-requests")
    yield name
    empty_and_delete(s3, name)


def test_course_flow(s3, course_bucket, tmp_path):
    # Create the bucket and see it in list_buckets.
    bucket = s3.create_bucket(Bucket=course_bucket)
    assert bucket["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert bucket["Location"] == "/" + course_bucket

    response = s3.list_buckets()
    buckets = response["Buckets"]
    names = [b["Name"] for b in buckets]
    assert course_bucket in names
    mine = [b for b in buckets if b["Name"] == course_bucket][0]
    assert isinstance(mine["CreationDate"], dt.datetime)
    now = dt.datetime.now(dt.timezone.utc)
    assert abs((now - mine["CreationDate"]).total_seconds()) < 600

    # Upload three days of requests under 2019/.
    frames = {}
    for day in (1, 2, 3):
        df = make_requests_df(day)
        frames[day] = df
        fname = tmp_path / ("gid_requests_2019_01_%02d.csv" % day)
        df.to_csv(fname, index=False)
        s3.upload_file(Filename=str(fname), Bucket=course_bucket,
                       Key="2019/gid_requests_2019_01_%02d.csv" % day)

    # list_objects with MaxKeys=2 and a prefix: truncated, two keys, sorted.
    response = s3.list_objects(Bucket=course_bucket, MaxKeys=2, Prefix="2019/")
    assert response["IsTruncated"] is True
    assert response["MaxKeys"] == 2
    assert response["Prefix"] == "2019/"
    assert [o["Key"] for o in response["Contents"]] == [
        "2019/gid_requests_2019_01_01.csv", "2019/gid_requests_2019_01_02.csv"]
    for obj in response["Contents"]:
        assert obj["Size"] == (tmp_path / obj["Key"].split("/")[1]).stat().st_size
        assert obj["StorageClass"] == "STANDARD"

    # head_object: size, type, ETag, LastModified.
    key = "2019/gid_requests_2019_01_01.csv"
    local = tmp_path / "gid_requests_2019_01_01.csv"
    response = s3.head_object(Bucket=course_bucket, Key=key)
    assert response["ContentLength"] == local.stat().st_size
    assert response["ETag"] == '"%s"' % md5_hex(local.read_bytes())
    assert isinstance(response["LastModified"], dt.datetime)
    assert abs((now - response["LastModified"]).total_seconds()) < 600

    # download_file gives back the same bytes.
    down = tmp_path / "gid_requests_downed.csv"
    s3.download_file(Filename=str(down), Bucket=course_bucket, Key=key)
    assert filecmp.cmp(str(local), str(down), shallow=False)

    # pandas reads the CSV straight from the streaming body.
    obj = s3.get_object(Bucket=course_bucket, Key="2019/gid_requests_2019_01_02.csv")
    df = pd.read_csv(obj["Body"])
    pd.testing.assert_frame_equal(df, frames[2])

    # Concatenating every day of the year, as the course's report does.
    response = s3.list_objects(Bucket=course_bucket, Prefix="2019/")
    df_list = []
    for file in response["Contents"]:
        obj = s3.get_object(Bucket=course_bucket, Key=file["Key"])
        df_list.append(pd.read_csv(obj["Body"]))
    df = pd.concat(df_list)
    assert len(df) == 150
    pd.testing.assert_frame_equal(df.reset_index(drop=True),
                                  pd.concat(frames.values()).reset_index(drop=True))

    # Delete the objects, then the bucket.
    for day in (1, 2, 3):
        r = s3.delete_object(Bucket=course_bucket, Key="2019/gid_requests_2019_01_%02d.csv" % day)
        assert r["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert "Contents" not in s3.list_objects(Bucket=course_bucket, Prefix="2019/")
    r = s3.delete_bucket(Bucket=course_bucket)
    assert r["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert course_bucket not in [b["Name"] for b in s3.list_buckets()["Buckets"]]


def test_course_put_object_and_read_csv(s3, bucket):
    """The course's put_object/get_object variant with an in-memory CSV."""
    df = make_requests_df(15, rows=200)
    body = df.to_csv(index=False).encode()
    s3.put_object(Bucket=bucket, Key="2019/potholes.csv", Body=body, ContentType="text/csv")
    obj = s3.get_object(Bucket=bucket, Key="2019/potholes.csv")
    assert obj["ContentType"] == "text/csv"
    assert obj["ContentLength"] == len(body)
    pd.testing.assert_frame_equal(pd.read_csv(obj["Body"]), df)
    # And through a BytesIO, as some course cells do.
    obj = s3.get_object(Bucket=bucket, Key="2019/potholes.csv")
    pd.testing.assert_frame_equal(pd.read_csv(io.BytesIO(obj["Body"].read())), df)


def test_course_delete_bucket_then_use_it(s3, course_bucket):
    s3.create_bucket(Bucket=course_bucket)
    s3.delete_bucket(Bucket=course_bucket)
    with pytest.raises(ClientError) as e:
        s3.list_objects(Bucket=course_bucket)
    assert e.value.response["Error"]["Code"] == "NoSuchBucket"
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404


def test_course_presigned_url_default_signature(s3, bucket):
    """The course's share link, verbatim. boto3's default presigner emits SigV2
    query auth (AWSAccessKeyId, Signature, Expires) for us-east-1 clients."""
    df = make_requests_df(20, rows=30)
    s3.put_object(Bucket=bucket, Key="potholes.csv", Body=df.to_csv(index=False).encode())
    share_url = s3.generate_presigned_url(
        ClientMethod="get_object", ExpiresIn=3600, Params={"Bucket": bucket, "Key": "potholes.csv"})
    assert "Signature=" in share_url and "Expires=" in share_url
    pd.testing.assert_frame_equal(pd.read_csv(share_url), df)


def test_course_presigned_url_sigv4(s3_client_factory, s3, bucket):
    df = make_requests_df(21, rows=30)
    s3.put_object(Bucket=bucket, Key="potholes.csv", Body=df.to_csv(index=False).encode())
    v4 = s3_client_factory(signature_version="s3v4")
    share_url = v4.generate_presigned_url(
        ClientMethod="get_object", ExpiresIn=3600, Params={"Bucket": bucket, "Key": "potholes.csv"})
    assert "X-Amz-Signature=" in share_url
    pd.testing.assert_frame_equal(pd.read_csv(share_url), df)

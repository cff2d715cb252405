#!/usr/bin/env python3
"""The course's case study, "Get It Done" (San Diego's 311 requests), end to end
against pail with boto3 and pandas:

  1. a private bucket gid-requests gets a month of daily request CSVs;
  2. the month is listed by prefix, each file read with get_object into pandas,
     and the days concatenated;
  3. requests are counted per case_record_type (open, closed, total);
  4. the aggregate goes to the public bucket gid-reports as CSV, as an HTML
     table (to_html) with a matplotlib chart, and as the chart's PNG, each with
     its content type;
  5. index.html, built from list_objects with a link per report, and
     error.html make gid-reports a static website; the URL to open is printed.

Run it against a fresh `make run` (keys from ./data/root-credentials):

    python3 examples/report_repository/report_site.py
    python3 examples/report_repository/report_site.py --endpoint http://127.0.0.1:9000 --month 2019-02
"""
import calendar
import datetime as dt
import html
import io
import os
import random
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import (create_bucket, import_pandas, parse_args, path_url, s3_client,  # noqa: E402
                    say, website_url)

pd = import_pandas()

REQUESTS = "gid-requests"
REPORTS = "gid-reports"

# Get It Done's request types, the department queue ("case record type") each
# goes to, and how often it comes in relative to the others.
SERVICES = [
    ("Pothole", "TSW", 18), ("Street Light Maintenance", "TSW", 9),
    ("Traffic Signal Issue", "Traffic Engineering", 5), ("Sidewalk Repair Issue", "TSW", 4),
    ("Graffiti Removal", "TSW", 12), ("Graffiti Removal - Commercial", "ESD Complaint/Report", 3),
    ("Illegal Dumping", "ESD Complaint/Report", 14), ("Missed Collection", "ESD Complaint/Report", 7),
    ("72 Hour Violation", "Parking", 11), ("Parking Zone Violation", "Parking", 4),
    ("Encampment", "Neighborhood Policing", 8), ("Storm Water Pollution Prevention",
                                                  "Storm Water Code Enforcement", 2),
    ("Tree Maintenance", "TSW", 3),
]
NEIGHBORHOODS = [
    ("Downtown", 3, 32.7157, -117.1611), ("North Park", 3, 32.7479, -117.1302),
    ("Pacific Beach", 2, 32.7978, -117.2400), ("Clairemont Mesa", 6, 32.8337, -117.1851),
    ("Mira Mesa", 6, 32.9156, -117.1439), ("Southeastern San Diego", 8, 32.6960, -117.1045),
    ("Navajo", 7, 32.7900, -117.0700), ("Otay Mesa-Nestor", 8, 32.5743, -117.0822),
]
COLUMNS = ["service_request_id", "requested_datetime", "case_record_type", "service_name",
           "status", "lat", "long", "council_district", "comm_plan_name"]


def day_frame(day, next_id):
    """One day of requests. Seeded by the date, so every run of the example
    produces the same files (and the same report)."""
    rng = random.Random(day.toordinal())
    weekend = day.weekday() >= 5
    rows = rng.randint(140, 190) if weekend else rng.randint(220, 320)
    names = [s[0] for s in SERVICES]
    weights = [s[2] for s in SERVICES]
    record = {s[0]: s[1] for s in SERVICES}
    age = (dt.date(2019, 12, 31) - day).days  # older requests are more often closed
    out = []
    for i in range(rows):
        service = rng.choices(names, weights)[0]
        hood, district, lat, lon = rng.choice(NEIGHBORHOODS)
        when = dt.datetime.combine(day, dt.time()) + dt.timedelta(seconds=rng.randint(6 * 3600,
                                                                                    23 * 3600))
        closed = rng.random() < min(0.95, 0.55 + age / 400)
        out.append([next_id + i, when.strftime("%Y-%m-%d %H:%M:%S"), record[service], service,
                    "Closed" if closed else "Open", round(lat + rng.uniform(-0.02, 0.02), 6),
                    round(lon + rng.uniform(-0.02, 0.02), 6), district, hood])
    return pd.DataFrame(out, columns=COLUMNS)


def upload_month(s3, year, month):
    prefix = "%04d_%s/" % (year, calendar.month_abbr[month].lower())
    days = calendar.monthrange(year, month)[1]
    say("Uploading %d daily request files to s3://%s/%s" % (days, REQUESTS, prefix))
    next_id = 2900000 + (year * 12 + month - (2019 * 12 + 1)) * 20000
    for d in range(1, days + 1):
        day = dt.date(year, month, d)
        df = day_frame(day, next_id)
        next_id += len(df)
        key = "%sgid_requests_%s.csv" % (prefix, day.strftime("%Y_%m_%d"))
        s3.put_object(Bucket=REQUESTS, Key=key, Body=df.to_csv(index=False).encode(),
                      ContentType="text/csv")
    return prefix


def read_month(s3, prefix):
    """The course's loop: list the month by prefix, read each file straight
    from get_object's body into pandas, concatenate."""
    frames = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=REQUESTS, Prefix=prefix):
        for obj in page.get("Contents", []):
            body = s3.get_object(Bucket=REQUESTS, Key=obj["Key"])["Body"]
            frames.append(pd.read_csv(body))
    say("Listed %s/%s: %d files; read them into pandas" % (REQUESTS, prefix, len(frames)))
    df = pd.concat(frames, ignore_index=True)
    say("  %d requests from %s to %s" % (len(df), df["requested_datetime"].min()[:10],
                                         df["requested_datetime"].max()[:10]))
    return df


def aggregate(df):
    agg = (df.groupby(["case_record_type", "status"]).size().unstack(fill_value=0)
           .reindex(columns=["Open", "Closed"], fill_value=0))
    agg["Total"] = agg["Open"] + agg["Closed"]
    agg = agg.sort_values("Total", ascending=False).reset_index()
    agg.columns.name = None
    return agg


def chart_png(agg, title):
    import matplotlib
    matplotlib.use("Agg")  # no display: draw into memory
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(8, 4.5), dpi=100)
    ax.barh(agg["case_record_type"], agg["Closed"], label="Closed", color="#4c72b0")
    ax.barh(agg["case_record_type"], agg["Open"], left=agg["Closed"], label="Open",
            color="#dd8452")
    ax.invert_yaxis()
    ax.set_xlabel("requests")
    ax.set_title(title)
    ax.legend()
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    plt.close(fig)
    return buf.getvalue()


def page(title, body):
    return ("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>%s</title>\n"
            "<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}"
            "td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}"
            "th{background:#eee}</style></head>\n<body>\n<h1>%s</h1>\n%s\n</body></html>\n"
            % (html.escape(title), html.escape(title), body))


def publish(s3, key, body, content_type):
    """Public, as the course makes its reports: ACL public-read."""
    s3.put_object(Bucket=REPORTS, Key=key, Body=body, ContentType=content_type,
                  ACL="public-read")
    say("  s3://%s/%s  (%s, %d bytes, public-read)" % (REPORTS, key, content_type, len(body)))


def publish_reports(s3, agg, year, month):
    stem = "reports/final_report_%04d_%02d" % (year, month)
    title = "Get It Done requests, %s %d" % (calendar.month_name[month], year)
    png = stem + ".png"
    say("Publishing the reports to s3://%s/reports/" % REPORTS)
    publish(s3, stem + ".csv", agg.to_csv(index=False).encode(), "text/csv")
    # The chart sits beside the page, so a relative link finds it on the
    # website endpoint and through path-style URLs alike.
    table = agg.to_html(index=False, border=0, classes="report")
    body = '%s\n<p><img src="%s" alt="requests per case record type"></p>' % (
        table, os.path.basename(png))
    publish(s3, stem + ".html", page(title, body).encode(), "text/html")
    publish(s3, png, chart_png(agg, title), "image/png")


def index_page(s3):
    """The course builds its index from list_objects: one row per report,
    with a link, when it was last changed and its size."""
    objs = s3.list_objects(Bucket=REPORTS, Prefix="reports/").get("Contents", [])
    df = pd.DataFrame(objs)[["Key", "LastModified", "Size"]]
    df["Link"] = ['<a href="%s">%s</a>' % (html.escape(k, quote=True), html.escape(k[8:]))
                  for k in df["Key"]]
    df["LastModified"] = df["LastModified"].dt.strftime("%Y-%m-%d %H:%M:%S UTC")
    table = df.to_html(columns=["Link", "LastModified", "Size"], index=False, escape=False,
                       border=0)
    return page("Get It Done report repository", table), len(df)


def error_page():
    return page("Report not found",
                '<p>There is no such report. See <a href="/">the list of reports</a>.</p>')


def main():
    def extra(p):
        p.add_argument("--month", default="2019-01", help="YYYY-MM of the requests (default 2019-01)")
    args = parse_args("Builds the course's Get It Done report site in pail.", extra)
    year, month = (int(x) for x in args.month.split("-"))
    s3 = s3_client(args)

    create_bucket(s3, REQUESTS)
    prefix = upload_month(s3, year, month)
    df = read_month(s3, prefix)
    agg = aggregate(df)
    say("Requests per case record type:\n" + agg.to_string(index=False))

    create_bucket(s3, REPORTS)
    # Anyone may list the reports: then a missing page is a 404 with the
    # error document. Where anonymous callers may not list a bucket, S3 answers
    # 403 instead, so as not to tell whether the key exists.
    s3.put_bucket_acl(Bucket=REPORTS, ACL="public-read")
    say("Made the listing of %s public (bucket ACL public-read)" % REPORTS)
    publish_reports(s3, agg, year, month)
    index, n = index_page(s3)
    say("Building index.html from list_objects: %d reports" % n)
    publish(s3, "index.html", index.encode(), "text/html")
    publish(s3, "error.html", error_page().encode(), "text/html")
    s3.put_bucket_website(Bucket=REPORTS, WebsiteConfiguration={
        "IndexDocument": {"Suffix": "index.html"}, "ErrorDocument": {"Key": "error.html"}})
    say("Enabled website hosting on %s (index.html, error.html)" % REPORTS)
    say("Path-style, for any program: %s" % path_url(args, REPORTS, "index.html"))
    say("Open %s in a browser" % website_url(args, REPORTS))


if __name__ == "__main__":
    main()

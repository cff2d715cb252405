/* iam/managed_policies.c — the AWS managed policies pail offers, under their
 * real ARNs, ids, version ids, dates and current documents (as AWS publishes
 * them), attachable in every account and never changed or deleted. They are
 * static: not records, rebuilt at every start. */
#include "iam/identity_int.h"

#include "core/log.h"
#include "util/time.h"

#include <stdio.h>
#include <string.h>

struct aws_policy {
    const char *name, *id, *version, *created, *updated, *description, *doc;
};

static const struct aws_policy aws_policies[] = {
    {"AdministratorAccess", "ANPAIWMBCKSKIEE64ZLYK", "v1", "2015-02-06T18:39:46Z",
     "2015-02-06T18:39:46Z", "Provides full access to AWS services and resources.",
     "{\n"
     "    \"Version\": \"2012-10-17\",\n"
     "    \"Statement\": [\n"
     "        {\n"
     "            \"Effect\": \"Allow\",\n"
     "            \"Action\": \"*\",\n"
     "            \"Resource\": \"*\"\n"
     "        }\n"
     "    ]\n"
     "}"},
    {"AmazonS3FullAccess", "ANPAIFIR6V6BVTRAHWINE", "v2", "2015-02-06T18:40:58Z",
     "2021-09-27T20:16:37Z", "Provides full access to all buckets via the AWS Management Console.",
     "{\n"
     "    \"Version\": \"2012-10-17\",\n"
     "    \"Statement\": [\n"
     "        {\n"
     "            \"Effect\": \"Allow\",\n"
     "            \"Action\": [\n"
     "                \"s3:*\",\n"
     "                \"s3-object-lambda:*\"\n"
     "            ],\n"
     "            \"Resource\": \"*\"\n"
     "        }\n"
     "    ]\n"
     "}"},
    {"AmazonS3ReadOnlyAccess", "ANPAIZTJ4DXE7G6AGAE6M", "v3", "2015-02-06T18:40:59Z",
     "2023-08-10T21:31:39Z",
     "Provides read only access to all buckets via the AWS Management Console.",
     "{\n"
     "    \"Version\": \"2012-10-17\",\n"
     "    \"Statement\": [\n"
     "        {\n"
     "            \"Effect\": \"Allow\",\n"
     "            \"Action\": [\n"
     "                \"s3:Get*\",\n"
     "                \"s3:List*\",\n"
     "                \"s3:Describe*\",\n"
     "                \"s3-object-lambda:Get*\",\n"
     "                \"s3-object-lambda:List*\"\n"
     "            ],\n"
     "            \"Resource\": \"*\"\n"
     "        }\n"
     "    ]\n"
     "}"},
    {"IAMFullAccess", "ANPAI7XKCFMBPM3QQRRVQ", "v2", "2015-02-06T18:40:38Z",
     "2019-06-21T19:40:00Z", "Provides full access to IAM via the AWS Management Console.",
     "{\n"
     "    \"Version\": \"2012-10-17\",\n"
     "    \"Statement\": [\n"
     "        {\n"
     "            \"Effect\": \"Allow\",\n"
     "            \"Action\": [\n"
     "                \"iam:*\",\n"
     "                \"organizations:DescribeAccount\",\n"
     "                \"organizations:DescribeOrganization\",\n"
     "                \"organizations:DescribeOrganizationalUnit\",\n"
     "                \"organizations:DescribePolicy\",\n"
     "                \"organizations:ListChildren\",\n"
     "                \"organizations:ListParents\",\n"
     "                \"organizations:ListPoliciesForTarget\",\n"
     "                \"organizations:ListRoots\",\n"
     "                \"organizations:ListPolicies\",\n"
     "                \"organizations:ListTargetsForPolicy\"\n"
     "            ],\n"
     "            \"Resource\": \"*\"\n"
     "        }\n"
     "    ]\n"
     "}"},
    {"IAMReadOnlyAccess", "ANPAJKSO7NDY4T57MWDSQ", "v4", "2015-02-06T18:40:39Z",
     "2018-01-25T19:11:27Z", "Provides read only access to IAM via the AWS Management Console.",
     "{\n"
     "    \"Version\": \"2012-10-17\",\n"
     "    \"Statement\": [\n"
     "        {\n"
     "            \"Effect\": \"Allow\",\n"
     "            \"Action\": [\n"
     "                \"iam:GenerateCredentialReport\",\n"
     "                \"iam:GenerateServiceLastAccessedDetails\",\n"
     "                \"iam:Get*\",\n"
     "                \"iam:List*\",\n"
     "                \"iam:SimulateCustomPolicy\",\n"
     "                \"iam:SimulatePrincipalPolicy\"\n"
     "            ],\n"
     "            \"Resource\": \"*\"\n"
     "        }\n"
     "    ]\n"
     "}"},
};

static int64_t iso_ms(const char *s)
{
    time_t t = 0;
    pail_time_parse_iso8601(s, &t);
    return (int64_t)t * 1000;
}

void id_aws_managed_init(struct pail_identity *id)
{
    for (size_t i = 0; i < sizeof aws_policies / sizeof aws_policies[0]; i++) {
        const struct aws_policy *src = &aws_policies[i];
        char why[256] = "";
        struct pail_policy *compiled = pail_policy_compile(
            src->doc, strlen(src->doc), PAIL_POLICY_IDENTITY, NULL, why, sizeof why);
        if (!compiled) {
            pail_error("identity: AWS managed policy %s does not compile (%s); not offered",
                       src->name, why);
            continue;
        }
        struct mpol *p = id_xcalloc(1, sizeof *p);
        snprintf(p->id, sizeof p->id, "%s", src->id);
        p->d.name = id_xstrdup(src->name);
        p->d.path = id_xstrdup("/");
        p->d.arn = id_xcalloc(1, strlen(src->name) + 32);
        sprintf(p->d.arn, "arn:aws:iam::aws:policy/%s", src->name);
        p->d.description = id_xstrdup(src->description);
        p->d.created = iso_ms(src->created);
        p->d.updated = iso_ms(src->updated);
        p->d.nv = 1;
        snprintf(p->d.v[0].id, sizeof p->d.v[0].id, "%s", src->version);
        p->d.v[0].d = pdoc_new(src->doc, compiled);
        p->d.v[0].created = p->d.updated;
        p->d.next_ver = 0; /* never gets versions */
        idmap_put(&id->pols_by_id, p->id, p);
        idmap_put(&id->pols_by_arn, p->d.arn, p);
        if (id->naws < ID_AWS_MANAGED_MAX)
            id->aws[id->naws++] = p;
    }
}

/* iam/iam_account.c — GetAccountSummary: the caller's account's entity
 * counts and AWS's default quotas, under the SummaryMap keys AWS uses (the
 * entities pail does not have, such as MFA devices, count 0). */
#include "iam/iam_int.h"

#include <stdio.h>

static void entry(struct iam_ctx *c, const char *key, size_t value)
{
    pail_xml_open(&c->x, "entry");
    pail_xml_elem(&c->x, "key", key);
    pail_xml_elem_u64(&c->x, "value", value);
    pail_xml_close(&c->x);
}

/* Attachments of managed policies in the account (AWS's PolicyVersionsInUse). */
static size_t versions_in_use(const struct acct *a)
{
    size_t n = 0;
    struct idmap_it it = {0};
    while (idmap_next(&a->users, &it))
        n += ((const struct user *)it.e->val)->d.natt;
    it = (struct idmap_it){0};
    while (idmap_next(&a->groups, &it))
        n += ((const struct group *)it.e->val)->d.natt;
    it = (struct idmap_it){0};
    while (idmap_next(&a->roles, &it))
        n += ((const struct role *)it.e->val)->d.natt;
    return n;
}

enum pail_err iam_GetAccountSummary(struct iam_ctx *c)
{
    enum pail_err e = iam_authz_self(c, "*");
    if (e)
        return e;
    const struct acct *a = c->acct;
    iam_result(c);
    pail_xml_open(&c->x, "SummaryMap");
    entry(c, "Users", a->users.n);
    entry(c, "UsersQuota", 5000);
    entry(c, "Groups", a->groups.n);
    entry(c, "GroupsQuota", 300);
    entry(c, "ServerCertificates", 0);
    entry(c, "ServerCertificatesQuota", 20);
    entry(c, "UserPolicySizeQuota", ID_USER_INLINE_SIZE);
    entry(c, "GroupPolicySizeQuota", ID_GROUP_INLINE_SIZE);
    entry(c, "GroupsPerUserQuota", ID_GROUPS_PER_USER);
    entry(c, "SigningCertificatesPerUserQuota", 2);
    entry(c, "AccessKeysPerUserQuota", ID_KEYS_PER_USER);
    entry(c, "MFADevices", 0);
    entry(c, "MFADevicesInUse", 0);
    entry(c, "AccountMFAEnabled", 0);
    entry(c, "AccountAccessKeysPresent", a->nroot ? 1 : 0);
    entry(c, "AccountPasswordPresent", 0);
    entry(c, "AccountSigningCertificatesPresent", 0);
    entry(c, "AttachedPoliciesPerGroupQuota", ID_ATTACHED_PER_ENTITY);
    entry(c, "AttachedPoliciesPerRoleQuota", ID_ATTACHED_PER_ENTITY);
    entry(c, "AttachedPoliciesPerUserQuota", ID_ATTACHED_PER_ENTITY);
    entry(c, "Policies", a->policies.n);
    entry(c, "PoliciesQuota", 1500);
    entry(c, "PolicySizeQuota", ID_MANAGED_POLICY_SIZE);
    entry(c, "PolicyVersionsInUse", versions_in_use(a));
    entry(c, "PolicyVersionsInUseQuota", 10000);
    entry(c, "VersionsPerPolicyQuota", ID_VERSIONS_PER_POLICY);
    entry(c, "GlobalEndpointTokenVersion", 1);
    entry(c, "AssumeRolePolicySizeQuota", ID_TRUST_POLICY_SIZE);
    entry(c, "InstanceProfiles", 0);
    entry(c, "InstanceProfilesQuota", 1000);
    entry(c, "Providers", 0);
    entry(c, "RolePolicySizeQuota", ID_ROLE_INLINE_SIZE);
    entry(c, "Roles", a->roles.n);
    entry(c, "RolesQuota", 1000);
    pail_xml_close(&c->x);
    return PAIL_OK;
}

/* pail has no OpenID Connect providers; tools that clean an account up list
 * them (s3-tests' IAM fixtures do), so the list is served, empty. */
enum pail_err iam_ListOpenIDConnectProviders(struct iam_ctx *c)
{
    enum pail_err e = iam_authz_self(c, "*");
    if (e)
        return e;
    iam_result(c);
    pail_xml_open(&c->x, "OpenIDConnectProviderList");
    pail_xml_close(&c->x);
    return PAIL_OK;
}

/* s3/handlers.h — the handler functions named in ops.def, grouped by the file
 * that defines them. Each reads req, calls store/, and fills req->resp; each
 * returns PAIL_OK or the error it recorded with pail_req_fail(). */
#ifndef PAIL_S3_HANDLERS_H
#define PAIL_S3_HANDLERS_H

#include "core/err.h"

struct pail_req;

/* query_api.c: IAM and STS */
enum pail_err s3_query_api(struct pail_req *r);

/* service.c / bucket.c */
enum pail_err s3_list_buckets(struct pail_req *r);
enum pail_err s3_create_bucket(struct pail_req *r);
enum pail_err s3_head_bucket(struct pail_req *r);
enum pail_err s3_delete_bucket(struct pail_req *r);
enum pail_err s3_get_bucket_location(struct pail_req *r);
enum pail_err s3_get_bucket_versioning(struct pail_req *r);

/* acl.c */
enum pail_err s3_get_bucket_acl(struct pail_req *r);
enum pail_err s3_put_bucket_acl(struct pail_req *r);
enum pail_err s3_get_object_acl(struct pail_req *r);
enum pail_err s3_put_object_acl(struct pail_req *r);

/* tagging.c */
enum pail_err s3_get_object_tagging(struct pail_req *r);
enum pail_err s3_put_object_tagging(struct pail_req *r);
enum pail_err s3_delete_object_tagging(struct pail_req *r);
enum pail_err s3_get_bucket_tagging(struct pail_req *r);
enum pail_err s3_put_bucket_tagging(struct pail_req *r);
enum pail_err s3_delete_bucket_tagging(struct pail_req *r);

/* website_config.c */
enum pail_err s3_get_bucket_website(struct pail_req *r);
enum pail_err s3_put_bucket_website(struct pail_req *r);
enum pail_err s3_delete_bucket_website(struct pail_req *r);

/* bucket_logging.c: server access logging's configuration */
enum pail_err s3_put_bucket_logging(struct pail_req *r);
enum pail_err s3_get_bucket_logging(struct pail_req *r);

/* bucket_policy.c */
enum pail_err s3_put_bucket_policy(struct pail_req *r);
enum pail_err s3_get_bucket_policy(struct pail_req *r);
enum pail_err s3_delete_bucket_policy(struct pail_req *r);
enum pail_err s3_get_bucket_policy_status(struct pail_req *r);

/* bucket_access.c: Block Public Access, Object Ownership */
enum pail_err s3_put_public_access_block(struct pail_req *r);
enum pail_err s3_get_public_access_block(struct pail_req *r);
enum pail_err s3_delete_public_access_block(struct pail_req *r);
enum pail_err s3_put_bucket_ownership_controls(struct pail_req *r);
enum pail_err s3_get_bucket_ownership_controls(struct pail_req *r);
enum pail_err s3_delete_bucket_ownership_controls(struct pail_req *r);

/* bucket_cors.c: the CORS configuration and the preflight */
enum pail_err s3_put_bucket_cors(struct pail_req *r);
enum pail_err s3_get_bucket_cors(struct pail_req *r);
enum pail_err s3_delete_bucket_cors(struct pail_req *r);
enum pail_err s3_cors_options(struct pail_req *r);
/* /_pail/...: metrics and health checks (s3/pail_paths.c). */
enum pail_err s3_pail_paths(struct pail_req *r);

/* list.c */
enum pail_err s3_list_objects(struct pail_req *r);
enum pail_err s3_list_objects_v2(struct pail_req *r);
enum pail_err s3_list_multipart_uploads(struct pail_req *r);
enum pail_err s3_list_object_versions(struct pail_req *r);

/* object_put.c */
enum pail_err s3_put_object_begin(struct pail_req *r);
enum pail_err s3_put_object(struct pail_req *r);
enum pail_err s3_copy_object(struct pail_req *r);

/* post_object.c: browser forms */
enum pail_err s3_post_object_begin(struct pail_req *r);
enum pail_err s3_post_object(struct pail_req *r);

/* object_get.c: GetObject and HeadObject */
enum pail_err s3_get_object(struct pail_req *r);
/* object_attributes.c */
enum pail_err s3_get_object_attributes(struct pail_req *r);

/* object_delete.c */
enum pail_err s3_delete_object(struct pail_req *r);
enum pail_err s3_delete_objects(struct pail_req *r);

/* multipart.c */
enum pail_err s3_create_multipart_upload(struct pail_req *r);
enum pail_err s3_upload_part_begin(struct pail_req *r);
enum pail_err s3_upload_part(struct pail_req *r);
enum pail_err s3_upload_part_copy(struct pail_req *r);
enum pail_err s3_complete_multipart_upload(struct pail_req *r);
enum pail_err s3_abort_multipart_upload(struct pail_req *r);
enum pail_err s3_list_parts(struct pail_req *r);

#endif

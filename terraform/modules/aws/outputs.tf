output "workspace" {
  description = "The workspace: id and host."
  value = {
    id   = databricks_mws_workspaces.this.workspace_id
    host = databricks_mws_workspaces.this.workspace_url
  }
}

output "storage" {
  description = "Where Unity Catalog keeps managed tables, and the identity that reaches it."
  value = {
    url                       = "s3://${aws_s3_bucket.this["data"].bucket}"
    aws_role_arn              = aws_iam_role.unity_catalog.arn
    azure_access_connector_id = ""
    gcp_bucket                = ""
  }
}

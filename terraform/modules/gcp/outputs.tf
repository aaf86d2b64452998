output "workspace" {
  description = "The workspace: id and host."
  value = {
    id   = databricks_mws_workspaces.this.workspace_id
    host = databricks_mws_workspaces.this.workspace_url
  }
}

output "storage" {
  description = "Where Unity Catalog keeps managed tables; the bucket is granted to the storage credential's service account."
  value = {
    url                       = "gs://${google_storage_bucket.this.name}"
    aws_role_arn              = ""
    azure_access_connector_id = ""
    gcp_bucket                = google_storage_bucket.this.name
  }
}

output "workspace" {
  description = "The workspace: id and host."
  value = {
    id   = azurerm_databricks_workspace.this.workspace_id
    host = "https://${azurerm_databricks_workspace.this.workspace_url}"
  }
}

output "storage" {
  description = "Where Unity Catalog keeps managed tables, and the identity that reaches it."
  value = {
    url                       = "abfss://${azurerm_storage_container.this.name}@${azurerm_storage_account.this.name}.dfs.core.windows.net"
    aws_role_arn              = ""
    azure_access_connector_id = azurerm_databricks_access_connector.this.id
    gcp_bucket                = ""
  }
}

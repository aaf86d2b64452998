output "workspace_host" {
  description = "spec.target.host of the reconcile environment."
  value       = local.workspace.host
}

output "warehouse_id" {
  description = "spec.target.warehouse of the reconcile environment."
  value       = module.unity_catalog.warehouse_id
}

output "catalogs" {
  description = "Catalogs created for the environment (spec.variables.catalog)."
  value       = module.unity_catalog.catalogs
}

output "environment_target" {
  description = "The spec.targets.default block to paste into environments/<env>.yaml."
  value = {
    type      = "databricks"
    host      = local.workspace.host
    warehouse = module.unity_catalog.warehouse_id
    auth = {
      clientId     = "$${env:DATABRICKS_CLIENT_ID}"
      clientSecret = "$${env:DATABRICKS_CLIENT_SECRET}"
    }
  }
}

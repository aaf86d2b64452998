output "warehouse_id" {
  description = "The SQL warehouse reconcile uses (spec.target.warehouse)."
  value       = databricks_sql_endpoint.this.id
}

output "catalogs" {
  description = "Names of the catalogs created."
  value       = [for catalog in databricks_catalog.this : catalog.name]
}

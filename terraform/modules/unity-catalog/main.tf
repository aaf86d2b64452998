terraform {
  required_providers {
    databricks = { source = "databricks/databricks" }
    google     = { source = "hashicorp/google" }
  }
}

resource "databricks_metastore_assignment" "this" {
  workspace_id = var.workspace_id
  metastore_id = var.metastore_id
}

# The identity Unity Catalog uses to reach the storage: an IAM role (AWS), the
# access connector's managed identity (Azure), or a Databricks-made service account (GCP).
resource "databricks_storage_credential" "this" {
  name    = "${var.name}-storage"
  comment = "Managed by Terraform; used by reconcile's catalogs"
  owner   = var.admins_group

  dynamic "aws_iam_role" {
    for_each = var.cloud == "aws" ? [var.storage.aws_role_arn] : []
    content {
      role_arn = aws_iam_role.value
    }
  }

  dynamic "azure_managed_identity" {
    for_each = var.cloud == "azure" ? [var.storage.azure_access_connector_id] : []
    content {
      access_connector_id = azure_managed_identity.value
    }
  }

  dynamic "databricks_gcp_service_account" {
    for_each = var.cloud == "gcp" ? [1] : []
    content {}
  }

  depends_on = [databricks_metastore_assignment.this]
}

resource "google_storage_bucket_iam_member" "credential" {
  count  = var.cloud == "gcp" ? 1 : 0
  bucket = var.storage.gcp_bucket
  role   = "roles/storage.objectAdmin"
  member = "serviceAccount:${databricks_storage_credential.this.databricks_gcp_service_account[0].email}"
}

resource "databricks_external_location" "this" {
  name            = "${var.name}-managed"
  url             = var.storage.url
  credential_name = databricks_storage_credential.this.id
  owner           = var.admins_group
  comment         = "Managed storage of the environment's catalogs"
}

# Catalogs exist here; what is inside them (schemas, tables, grants, pipelines,
# models) is reconcile's, so Terraform only sets the owner and reconcile's rights.
resource "databricks_catalog" "this" {
  for_each       = toset(var.catalogs)
  name           = each.value
  storage_root   = "${var.storage.url}/${each.value}"
  owner          = var.admins_group
  comment        = "Reconciled by reconcile from git; do not edit by hand"
  isolation_mode = "ISOLATED"
  properties = {
    managed-by = "reconcile"
  }
  depends_on = [databricks_external_location.this]
}

resource "databricks_grants" "catalog" {
  for_each = databricks_catalog.this
  catalog  = each.value.name
  grant {
    principal  = var.admins_group
    privileges = ["ALL_PRIVILEGES"]
  }
  grant {
    principal  = var.reconcile_principal
    privileges = ["USE_CATALOG", "CREATE_SCHEMA", "MANAGE"]
  }
}

resource "databricks_grants" "external_location" {
  external_location = databricks_external_location.this.id
  grant {
    principal  = var.reconcile_principal
    privileges = ["READ_FILES", "WRITE_FILES", "CREATE_MANAGED_STORAGE"]
  }
}

# The SQL warehouse reconcile runs DDL on: serverless, small, stopping when idle.
resource "databricks_sql_endpoint" "this" {
  name                      = "${var.name}-reconcile"
  cluster_size              = var.warehouse_size
  max_num_clusters          = 1
  auto_stop_mins            = var.auto_stop_minutes
  enable_serverless_compute = true
  warehouse_type            = "PRO"

  tags {
    dynamic "custom_tags" {
      for_each = var.tags
      content {
        key   = custom_tags.key
        value = custom_tags.value
      }
    }
  }
}

resource "databricks_permissions" "warehouse" {
  sql_endpoint_id = databricks_sql_endpoint.this.id
  access_control {
    service_principal_name = var.reconcile_principal
    permission_level       = "CAN_USE"
  }
}

# One Databricks workspace with Unity Catalog per environment, on the cloud that
# var.cloud names. Only that cloud's module is instantiated; the providers of the
# others are configured but create nothing.

locals {
  name = "${var.prefix}-${var.environment}"
  tags = merge(var.tags, { environment = var.environment, managed-by = "terraform", reconciled-by = "reconcile" })
}

provider "aws" {
  region = var.region
  default_tags {
    tags = local.tags
  }
}

provider "azurerm" {
  features {}
  subscription_id = var.azure_subscription_id
}

provider "google" {
  project = var.gcp_project
  region  = var.region
}

# Account-level API: creates workspaces (AWS and GCP).
provider "databricks" {
  alias      = "account"
  host       = var.cloud == "gcp" ? "https://accounts.gcp.databricks.com" : "https://accounts.cloud.databricks.com"
  account_id = var.databricks_account_id
}

module "aws" {
  source    = "./modules/aws"
  count     = var.cloud == "aws" ? 1 : 0
  providers = { databricks = databricks.account }

  name                  = local.name
  region                = var.region
  databricks_account_id = var.databricks_account_id
  network_cidr          = var.network_cidr
  availability_zones    = var.aws_availability_zones
  kms_key_arn           = var.aws_kms_key_arn
  tags                  = local.tags
}

module "azure" {
  source = "./modules/azure"
  count  = var.cloud == "azure" ? 1 : 0

  name         = local.name
  region       = var.region
  network_cidr = var.network_cidr
  tags         = local.tags
}

module "gcp" {
  source    = "./modules/gcp"
  count     = var.cloud == "gcp" ? 1 : 0
  providers = { databricks = databricks.account }

  name                  = local.name
  region                = var.region
  project               = var.gcp_project
  databricks_account_id = var.databricks_account_id
  network_cidr          = var.network_cidr
  labels                = local.tags
}

locals {
  workspace = one(concat(module.aws[*].workspace, module.azure[*].workspace, module.gcp[*].workspace))
  storage   = one(concat(module.aws[*].storage, module.azure[*].storage, module.gcp[*].storage))
}

# Workspace-level API: Unity Catalog objects and the SQL warehouse.
provider "databricks" {
  alias = "workspace"
  host  = local.workspace.host
}

module "unity_catalog" {
  source    = "./modules/unity-catalog"
  providers = { databricks = databricks.workspace }

  name                = local.name
  cloud               = var.cloud
  workspace_id        = local.workspace.id
  metastore_id        = var.metastore_id
  storage             = local.storage
  catalogs            = var.catalogs
  admins_group        = var.admins_group
  reconcile_principal = var.reconcile_principal
  warehouse_size      = var.warehouse_size
  auto_stop_minutes   = var.warehouse_auto_stop_minutes
  tags                = local.tags
}

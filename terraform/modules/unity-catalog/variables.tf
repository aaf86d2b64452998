variable "name" {
  description = "Name prefix of every object."
  type        = string
}

variable "cloud" {
  description = "aws, azure or gcp: decides the storage credential's kind."
  type        = string
}

variable "workspace_id" {
  description = "The workspace to attach the metastore to."
  type        = string
}

variable "metastore_id" {
  description = "The region's Unity Catalog metastore."
  type        = string
}

variable "storage" {
  description = "Storage for managed tables and the identity that reaches it (from the cloud module)."
  type = object({
    url                       = string
    aws_role_arn              = string
    azure_access_connector_id = string
    gcp_bucket                = string
  })
}

variable "catalogs" {
  description = "Catalogs of this environment."
  type        = list(string)
}

variable "admins_group" {
  description = "Group owning the catalogs and the external location."
  type        = string
}

variable "reconcile_principal" {
  description = "Application id of reconcile's service principal."
  type        = string
}

variable "warehouse_size" {
  description = "SQL warehouse cluster size."
  type        = string
}

variable "auto_stop_minutes" {
  description = "Minutes before an idle warehouse stops."
  type        = number
}

variable "tags" {
  description = "Custom tags of the warehouse."
  type        = map(string)
  default     = {}
}

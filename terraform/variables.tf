# Variables shared by every cloud. Cloud-specific ones carry the cloud's prefix
# (aws_, azure_, gcp_) and are ignored by the other clouds.

variable "cloud" {
  description = "Which cloud the workspace runs in: aws, azure or gcp."
  type        = string
  validation {
    condition     = contains(["aws", "azure", "gcp"], var.cloud)
    error_message = "The cloud must be aws, azure or gcp."
  }
}

variable "environment" {
  description = "The reconcile environment this workspace serves: dev, staging or prod."
  type        = string
  validation {
    condition     = contains(["dev", "staging", "prod"], var.environment)
    error_message = "The environment must be dev, staging or prod."
  }
}

variable "prefix" {
  description = "Prefix of every resource name, e.g. lakehouse."
  type        = string
  default     = "lakehouse"
}

variable "region" {
  description = "The cloud region (us-east-1, westeurope, europe-west1...)."
  type        = string
}

variable "databricks_account_id" {
  description = "The Databricks account id (account console)."
  type        = string
}

variable "metastore_id" {
  description = "The Unity Catalog metastore of the region; one per region per account, shared by the environments."
  type        = string
}

variable "catalogs" {
  description = "Catalogs this environment owns; reconcile manages what is inside them."
  type        = list(string)
}

variable "warehouse_size" {
  description = "SQL warehouse cluster size reconcile runs DDL on."
  type        = string
  default     = "2X-Small"
}

variable "warehouse_auto_stop_minutes" {
  description = "Minutes of idleness before the SQL warehouse stops."
  type        = number
  default     = 10
}

variable "admins_group" {
  description = "Account group that owns the catalogs and the external location."
  type        = string
  default     = "data-platform-admins"
}

variable "reconcile_principal" {
  description = "Application id of the service principal reconcile authenticates as (OAuth M2M)."
  type        = string
}

variable "tags" {
  description = "Tags put on every cloud resource."
  type        = map(string)
  default     = {}
}

variable "network_cidr" {
  description = "Address space of the workspace network."
  type        = string
  default     = "10.20.0.0/16"
}

# AWS

variable "aws_availability_zones" {
  description = "Two availability zones for the workspace subnets (AWS)."
  type        = list(string)
  default     = []
}

variable "aws_kms_key_arn" {
  description = "KMS key encrypting the S3 buckets (AWS); created by the module when empty."
  type        = string
  default     = ""
}

# Azure

variable "azure_subscription_id" {
  description = "Azure subscription holding the workspace."
  type        = string
  default     = ""
}

# GCP

variable "gcp_project" {
  description = "Google Cloud project holding the workspace."
  type        = string
  default     = ""
}

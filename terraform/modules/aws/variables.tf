variable "name" {
  description = "Name prefix of every resource."
  type        = string
}

variable "region" {
  description = "AWS region."
  type        = string
}

variable "databricks_account_id" {
  description = "Databricks account id; the cross-account role trusts it."
  type        = string
}

variable "network_cidr" {
  description = "VPC address space."
  type        = string
}

variable "availability_zones" {
  description = "At least two availability zones for the private subnets."
  type        = list(string)
  validation {
    condition     = length(var.availability_zones) >= 2
    error_message = "Databricks needs subnets in at least two availability zones."
  }
}

variable "kms_key_arn" {
  description = "KMS key for the buckets; a key is created when empty."
  type        = string
  default     = ""
}

variable "tags" {
  description = "Tags of every resource."
  type        = map(string)
  default     = {}
}

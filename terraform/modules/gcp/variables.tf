variable "name" {
  description = "Name prefix of every resource."
  type        = string
}

variable "region" {
  description = "Google Cloud region."
  type        = string
}

variable "project" {
  description = "Google Cloud project."
  type        = string
}

variable "databricks_account_id" {
  description = "Databricks account id."
  type        = string
}

variable "network_cidr" {
  description = "Subnet address range."
  type        = string
}

variable "labels" {
  description = "Labels of every resource."
  type        = map(string)
  default     = {}
}

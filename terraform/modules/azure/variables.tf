variable "name" {
  description = "Name prefix of every resource."
  type        = string
}

variable "region" {
  description = "Azure location."
  type        = string
}

variable "network_cidr" {
  description = "Virtual network address space."
  type        = string
}

variable "tags" {
  description = "Tags of every resource."
  type        = map(string)
  default     = {}
}

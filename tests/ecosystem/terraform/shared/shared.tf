# What the control's two configurations share (make-control.sh copies it beside each):
# variables, an object that stays unchanged, one updated and one replaced (by what each
# configuration's locals say), a module call, an output.
variable "password" {
  type      = string
  sensitive = true
  default   = "not-a-real-secret"
}

variable "region" {
  type    = string
  default = "r1"
}

resource "terraform_data" "keep" {
  input = { name = "keep", region = var.region }
}

resource "terraform_data" "upd" {
  input = { name = "upd", size = local.size, secret = var.password }
}

resource "terraform_data" "repl" {
  input            = "a"
  triggers_replace = [local.trigger]
}

module "db" {
  source = "./modules/db"
  name   = terraform_data.keep.output.name
}

output "upd_id" {
  value = terraform_data.upd.id
}

# The control's planned configuration (with ../shared/): against the state ../before/ made,
# an update (upd: size), a replacement (repl: triggers_replace), a delete (gone), a create
# (new), a data source read while planning (seen) and unchanged objects (keep,
# module.db.terraform_data.inner).
locals {
  size    = 2
  trigger = "v2"
}

data "terraform_remote_state" "seen" {
  backend = "local"
  config  = { path = "before.tfstate" }
}

resource "terraform_data" "new" {
  input = data.terraform_remote_state.seen.outputs.upd_id
}

output "new_id" {
  value = terraform_data.new.id
}

# The control's first configuration (with ../shared/): applied, then replaced by
# ../after/changes.tf and planned (make-control.sh). terraform_data is built into Terraform,
# so no provider is downloaded.
locals {
  size    = 1
  trigger = "v1"
}

resource "terraform_data" "gone" {
  input = "bye"
}

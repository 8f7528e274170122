# A Rego policy over a plan document, as OPA / conftest users write them: the managed objects
# of planned_values (root and child modules), the resource changes by provider_name and by
# actions, and a deny rule on deletes and replacements.
package strata.plan

import rego.v1

planned contains r.address if {
	walk(input.planned_values.root_module, [path, r])
	path[count(path) - 2] == "resources"
	r.mode == "managed"
}

by_provider[p] := n if {
	some change in input.resource_changes
	p := change.provider_name
	n := count([rc | some rc in input.resource_changes; rc.provider_name == p])
}

by_actions[a] := n if {
	some change in input.resource_changes
	a := concat(",", change.change.actions)
	n := count([rc | some rc in input.resource_changes; concat(",", rc.change.actions) == a])
}

deny contains rc.address if {
	some rc in input.resource_changes
	"delete" in rc.change.actions
}

summary := {
	"planned": sort(planned),
	"by_provider": by_provider,
	"by_actions": by_actions,
	"deny": sort(deny),
}

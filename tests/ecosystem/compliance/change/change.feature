Feature: the quickstart changed once applied (update, replacements, delete), as
  terraform-compliance reads `strata show --json` of the saved plan

  Scenario: the three parameter templates stay, two of them replaced
    Given I have huaweicloud_rds_parameter_template defined
    When I count them
    Then I expect the result is equal to 3

  Scenario: the replaced template's new datastore version
    Given I have huaweicloud_rds_parameter_template defined
    When its name is base-staging
    Then it must contain datastore
    And it must contain version
    And its value must be "5.7"

  Scenario: the updated template's new description
    Given I have huaweicloud_rds_parameter_template defined
    When its name is copy_by_v31
    Then it must contain description
    And its value must be changed

  Scenario: the AnalyticDB instances are unchanged
    Given I have alicloud_gpdb_instance defined
    When I count them
    Then I expect the result is equal to 2

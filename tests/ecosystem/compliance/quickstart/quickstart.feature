Feature: the quickstart's first plan, as terraform-compliance reads it

  Scenario: three Huawei parameter templates
    Given I have huaweicloud_rds_parameter_template defined
    When I count them
    Then I expect the result is equal to 3

  Scenario: two AnalyticDB instances
    Given I have alicloud_gpdb_instance defined
    When I count them
    Then I expect the result is equal to 2

  Scenario: one DataWorks data source
    Given I have alicloud_dataworks_data_source defined
    When I count them
    Then I expect the result is equal to 1

  Scenario: the Commvault protection names its plan
    Given I have commvault_postgresql_instance defined
    Then it must contain plan_name
    And its value must be "Server plan"

  Scenario: every parameter template is named
    Given I have huaweicloud_rds_parameter_template defined
    Then it must contain name

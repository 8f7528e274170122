Feature: the modules example's plan (one module call per environment), as
  terraform-compliance reads it

  Scenario: a warehouse and its disaster-recovery clone per environment
    Given I have alicloud_gpdb_instance defined
    When I count them
    Then I expect the result is equal to 4

  Scenario: a Commvault protection per environment
    Given I have commvault_postgresql_instance defined
    When I count them
    Then I expect the result is equal to 2

Feature: Terraform's own plan (the control), as terraform-compliance reads it

  Scenario: five terraform_data objects once applied
    Given I have terraform_data defined
    When I count them
    Then I expect the result is equal to 5

  Scenario: every one has an input
    Given I have terraform_data defined
    Then it must contain input

"""What tests share besides fixtures: settings of small apps, problem checks, accounts, shopping, servers, a browser."""

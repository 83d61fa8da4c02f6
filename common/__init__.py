"""The wire contract and identity rules shared by the Stocktake agent and collector."""

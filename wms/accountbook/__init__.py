"""The bonded warehouse's account book (账册): what customs holds the warehouse to."""

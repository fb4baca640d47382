"""Each person's home page: what is theirs to look at and do next; above every domain it reads."""

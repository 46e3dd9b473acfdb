"""`assistant bench`: the product measured from outside, through its public seams only."""

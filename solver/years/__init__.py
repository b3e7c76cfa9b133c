"""Plans over several years (issue 12): who leaves each year, the year-by-year plan and its
tables."""

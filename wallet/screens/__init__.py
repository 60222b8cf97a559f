"""One screen per task; each calls the holder domain and shows what it answered."""

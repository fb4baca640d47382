"""Pages administrators read about what they administer (the audit log); above every domain,
because they read across them."""

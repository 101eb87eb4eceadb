"""Links in posts: UTM tags, first-party short links, their redirect and click counts."""

"""spiceview.protocol"""

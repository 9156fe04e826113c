"""spiceview.transport"""

"""spiceview.session"""

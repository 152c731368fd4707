<?xml version="1.0"?>
<CHANNEL HREF="http://cdf.test/index.htm" LASTMOD="1998-11-05T22:12">
  <TITLE>Harbour Channel</TITLE>
  <ABSTRACT>No items scheduled.</ABSTRACT>
  <SCHEDULE><INTERVALTIME DAY="1"/></SCHEDULE>
</CHANNEL>

<?xml version="1.0"?>
<CHANNEL HREF="http://cdf.test/index.htm" BASE="http://cdf.test/" LASTMOD="1998-11-05T22:12">
  <TITLE>Harbour Channel</TITLE>
  <ABSTRACT>Shipping news pushed to your desktop.</ABSTRACT>
  <SCHEDULE><INTERVALTIME DAY="1"/></SCHEDULE>
  <ITEM HREF="news/ferry.htm" LASTMOD="1998-11-05T22:12">
    <TITLE>New ferry timetable from Monday</TITLE>
    <ABSTRACT>The island ferry adds two crossings on weekdays.</ABSTRACT>
  </ITEM>
  <ITEM HREF="news/pier.htm" LASTMOD="1998-11-04T10:00">
    <TITLE>Pier repairs finished early</TITLE>
    <ABSTRACT>The north pier reopens to anglers this weekend.</ABSTRACT>
  </ITEM>
</CHANNEL>
